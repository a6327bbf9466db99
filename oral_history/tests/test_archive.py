"""The archive at work: transcripts, requests and grants, withdrawals with an audit trail, the
redacted public copy made by ffmpeg, IIIF manifests, citations, browse pages and the desk."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.tests.factories import UserFactory
from core.models import Notification
from media.processing import FFMPEG
from media.services import download_to
from oral_history import citations, selectors, services
from oral_history.models import (
    AccessLevel,
    AccessRequest,
    AuditEntry,
    InterviewMedia,
    TakedownRequest,
)
from oral_history.tasks import build_redacted_copy

from .factories import VTT, InterviewFactory, NarratorFactory, archivist, with_content

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- Transcripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("00:00.000 --> 00:01.000\nhi", "must start with the line WEBVTT"),
        ("WEBVTT\n\n00:00.000 -> 00:01.000\nhi", "has no cues"),
        ("WEBVTT\n\n00:00:61.000 --> 00:01:00.000\nhi", "Line 3: the cue timing is not valid"),
        ("WEBVTT\n\n00:05.000 --> 00:01.000\nhi", "Line 3: the cue ends before it starts"),
    ],
)
def test_webvtt_errors_name_the_line_and_keep_the_old_transcript(text, reason):
    interview = InterviewFactory()
    services.save_transcript(interview=interview, vtt=VTT, user=None)
    with pytest.raises(ValidationError, match=reason):
        services.save_transcript(interview=interview, vtt=text, user=None)
    interview.transcript.refresh_from_db()
    assert interview.transcript.cues.count() == 5


def test_voice_tags_become_speakers_and_markup_is_stripped():
    cues = services.parse_transcript(
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v.loud 张 桂兰>第一行<br>第<b>二</b>行 &amp; 三\n"
    )
    assert cues[0].speaker == "张 桂兰"
    assert cues[0].text == "第一行\n第二行 & 三"


def test_desk_uploads_and_edits_transcripts_with_clear_errors():
    interview = InterviewFactory()
    staff = Client()
    staff.force_login(archivist())
    url = reverse("oral_history:desk-interview", args=[interview.pk])
    upload = SimpleUploadedFile("t.vtt", VTT.encode(), content_type="text/vtt")
    response = staff.post(url, {"action": "transcript", "file": upload, "access_level": "open"})
    assert response.status_code == 302
    assert interview.transcript.cues.count() == 5
    response = staff.post(url, {"action": "transcript", "vtt": "WEBVTT\n\n00:05.000 --> "
                                "00:01.000\nx", "access_level": "open"}, follow=True)  # fmt: skip
    assert "字幕的结束时间早于开始时间" in response.content.decode()  # the desk is in Chinese
    assert interview.transcript.cues.count() == 5
    audit = AuditEntry.objects.filter(interview=interview, action="transcript_saved")
    assert audit.count() == 1


# --- Requests, grants and withdrawals -----------------------------------------------------------


def test_a_reader_requests_access_and_an_archivist_grants_it_for_a_period():
    interview = InterviewFactory(access_level=AccessLevel.REQUEST)
    reader = UserFactory(language="zh-hans")
    client = Client()
    client.force_login(reader)
    page = reverse("oral_history:interview", args=[interview.pk])
    client.post(reverse("oral_history:request-access", args=[interview.pk]), {"purpose": "写论文"})
    request = AccessRequest.objects.get(reader=reader)
    assert request.status == "pending"
    assert not selectors.part_available(reader, interview)
    # asking twice is refused by the database's unique constraint, not only by a check
    with pytest.raises(ValidationError, match="已经申请过"):
        services.request_access(interview=interview, reader=reader, purpose="再问一次")
    assert "您的申请正在等待档案员审批" in client.get(page).content.decode()

    desk = Client()
    staff = archivist()
    desk.force_login(staff)
    desk.post(reverse("oral_history:decide-request", args=[request.pk]),
              {"action": "grant", "days": "7", "note": "请勿外传"})  # fmt: skip
    request.refresh_from_db()
    assert request.status == "granted"
    assert request.granted_until - timezone.now() > dt.timedelta(days=6, hours=23)
    reader = type(reader).objects.get(pk=reader.pk)  # a fresh user object, no cached grants
    assert selectors.part_available(reader, interview)
    notice = Notification.objects.get(user=reader)
    # in the reader's language, whatever language the archivist works in
    until = timezone.localtime(request.granted_until).strftime("%Y-%m-%d")
    assert notice.message == f"访问申请已获批准，有效期至 {until}：{interview.title}"
    assert AuditEntry.objects.filter(interview=interview, action="access_granted",
                                     actor=staff).exists()  # fmt: skip

    # once the period is over the grant no longer opens anything
    AccessRequest.objects.filter(pk=request.pk).update(
        granted_until=timezone.now() - dt.timedelta(seconds=1)
    )
    reader = type(reader).objects.get(pk=reader.pk)
    assert not selectors.part_available(reader, interview)


def test_concurrent_requests_from_one_reader_leave_one_pending_request():
    pytest.importorskip("psycopg")
    interview = InterviewFactory(access_level=AccessLevel.REQUEST)
    reader = UserFactory()
    errors: list[str] = []
    barrier = threading.Barrier(6)

    def ask() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.request_access(interview=interview, reader=reader, purpose="同时提交")
        except ValidationError as error:
            errors.append(error.messages[0])
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AccessRequest.objects.filter(reader=reader, status="pending").count() == 1
    assert len(errors) == 5


test_concurrent_requests_from_one_reader_leave_one_pending_request = pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)(test_concurrent_requests_from_one_reader_leave_one_pending_request)


def test_declining_needs_a_reason_and_others_cannot_decide():
    interview = InterviewFactory(access_level=AccessLevel.REQUEST)
    request = services.request_access(interview=interview, reader=UserFactory(), purpose="研究")
    with pytest.raises(ValidationError, match="reason"):
        services.decline_access(request_id=request.pk, user=archivist(), note=" ")
    intruder = Client()
    intruder.force_login(UserFactory())
    response = intruder.post(reverse("oral_history:decide-request", args=[request.pk]),
                             {"action": "grant", "days": "30"})  # fmt: skip
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_family_asks_for_withdrawal_and_every_step_is_audited():
    interview = InterviewFactory()
    Client().post(reverse("oral_history:takedown", args=[interview.pk]), {
        "requester_name": "张小红", "relationship": "女儿", "contact": "13800000000",
        "reason": "母亲不希望公开",
    })  # fmt: skip
    takedown = TakedownRequest.objects.get(interview=interview)
    staff = archivist()
    with pytest.raises(ValidationError):
        services.withdraw(takedown_id=takedown.pk, user=staff, resolution="")
    services.withdraw(takedown_id=takedown.pk, user=staff, resolution="已与家属确认，撤回")
    interview.refresh_from_db()
    assert interview.withdrawn_at is not None
    assert Client().get(reverse("oral_history:interview", args=[interview.pk])).status_code == 404
    actions = list(AuditEntry.objects.filter(interview=interview).values_list("action", flat=True))
    assert actions[:2] == ["withdrawn", "takedown_received"]
    with pytest.raises(ValidationError, match="已经处理完毕"):
        services.decline_takedown(takedown_id=takedown.pk, user=staff, resolution="x")


def test_access_changes_are_audited_and_need_the_permission():
    interview = InterviewFactory()
    with pytest.raises(ValidationError, match="end date"):
        services.set_access(interview=interview, level=AccessLevel.EMBARGO, embargo_until=None,
                            user=archivist(), reason="家属要求")  # fmt: skip
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_access(interview=interview, level=AccessLevel.OPEN, embargo_until=None,
                            user=UserFactory(), reason="")  # fmt: skip
    until = dt.date(2031, 1, 1)
    services.set_access(interview=interview, level=AccessLevel.EMBARGO, embargo_until=until,
                        user=archivist(), reason="家属要求")  # fmt: skip
    entry = AuditEntry.objects.get(interview=interview, action="access_changed")
    assert entry.detail["after"] == ["embargo", "2031-01-01"]
    assert entry.detail["reason"] == "家属要求"


def test_minor_consent_needs_a_guardian_and_forms_are_checked_by_content():
    interview = InterviewFactory()
    staff = archivist()
    with pytest.raises(ValidationError, match="guardian"):
        services.record_consent(interview=interview, user=staff, minor=True)
    fake_pdf = SimpleUploadedFile("form.pdf", b"MZ\x90\x00 this is a program")
    with pytest.raises(ValidationError):
        services.record_consent(interview=interview, user=staff, scanned_form=fake_pdf)
    assert not interview.consents.exists()


# --- The redacted public copy ----------------------------------------------------------------


def _loudness(path, start: float, end: float) -> float:
    """Mean volume (dB) of a stretch of an audio file, measured by ffmpeg."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-ss", str(start), "-t", str(end - start), "-i", str(path),
         "-af", "volumedetect", "-f", "null", "-"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in result.stderr.splitlines():
        if "mean_volume" in line:
            return float(line.split(":")[1].split()[0])
    return -999.0


def test_the_public_copy_is_silent_in_redacted_ranges_and_keeps_its_length(tmp_path):
    interview = InterviewFactory(duration_seconds=40)
    item = with_content(interview, tmp_path=tmp_path)
    services.add_redaction(interview=interview, start=10, end=20, reason="隐私", user=archivist())
    assert build_redacted_copy(str(item.pk)) == "ready"
    item.refresh_from_db()
    assert item.redacted_copy_status == InterviewMedia.CopyStatus.READY
    copy = tmp_path / "copy.m4a"
    download_to(stored_file=item.redacted_copy, target=copy)
    assert _loudness(copy, 12, 18) < -80
    assert _loudness(copy, 2, 8) > -40
    assert _loudness(copy, 25, 35) > -40
    # a second delivery of the same task does nothing
    assert build_redacted_copy(str(item.pk)) == "not pending"
    # the public now hears the copy
    # (by way of a redirect to its signed URL on the user-content origin)
    url = reverse("oral_history:media", args=[interview.pk, item.pk])
    response = Client().get(url, follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == copy.read_bytes()


def test_a_copy_made_for_old_ranges_is_thrown_away(tmp_path, monkeypatch):
    from media.models import StoredFile
    from oral_history import tasks

    interview = InterviewFactory(duration_seconds=40)
    item = with_content(interview, tmp_path=tmp_path)
    staff = archivist()
    services.add_redaction(interview=interview, start=10, end=20, reason="一", user=staff)
    real_ffmpeg = tasks.processing.ffmpeg

    def ffmpeg_while_an_archivist_edits(*args, **kwargs):
        real_ffmpeg(*args, **kwargs)
        InterviewMedia.objects.filter(pk=item.pk).update(redacted_for=[[1, 2]])

    monkeypatch.setattr(tasks.processing, "ffmpeg", ffmpeg_while_an_archivist_edits)
    assert build_redacted_copy(str(item.pk)) == "superseded"
    item.refresh_from_db()
    assert item.redacted_copy is None
    assert not StoredFile.objects.filter(key__startswith="oral-history/redacted").exists()


# --- IIIF, citations, browsing, API -------------------------------------------------------------


def test_iiif_manifest_has_a_canvas_with_duration_sound_and_transcript(tmp_path):
    interview = InterviewFactory(title="纺织厂的往事")
    item = with_content(interview, tmp_path=tmp_path)
    data = Client().get(reverse("oral_history:manifest", args=[interview.pk])).json()
    assert data["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert data["type"] == "Manifest"
    assert data["label"] == {"zh-Hans": ["纺织厂的往事"]}
    canvas = data["items"][0]
    assert canvas["type"] == "Canvas" and canvas["duration"] > 30
    painting = canvas["items"][0]["items"][0]
    assert painting["motivation"] == "painting"
    assert painting["body"]["type"] == "Sound"
    assert painting["body"]["id"].endswith(f"/media/{item.pk}/")
    assert painting["target"] == canvas["id"]
    supplementing = canvas["annotations"][0]["items"][0]
    assert supplementing["motivation"] == "supplementing"
    assert supplementing["body"]["format"] == "text/vtt"
    assert Client().get(supplementing["body"]["id"]).status_code == 200


def test_citations_in_gbt7714_and_chicago():
    narrator = NarratorFactory(name="张桂兰")
    interview = InterviewFactory(title="纺织厂的三十年", interviewers=["王丽"],
                                 interview_date=dt.date(2024, 5, 12), narrators=[narrator],
                                 accession_number="LHWS-2024-001")  # fmt: skip
    url = "https://example.org/memories/i/1/"
    gbt = citations.gbt7714(interview, url, accessed=dt.date(2026, 11, 26))
    assert gbt == ("张桂兰. 纺织厂的三十年[Z/OL]. 王丽, 采访. 沈阳: 辽宁省图书馆, "
                   "2024-05-12[2026-11-26]. https://example.org/memories/i/1/.")  # fmt: skip
    chicago = citations.chicago(interview, url)
    assert chicago.startswith("张桂兰. “纺织厂的三十年.” Interview by 王丽. May 12, 2024.")
    assert "LHWS-2024-001" in chicago


def test_anonymised_narrators_are_never_named_in_public():
    narrator = NarratorFactory(name="真名", anonymised=True, label="受访者A")
    interview = InterviewFactory(narrators=[narrator])
    services.reindex(interview=interview)
    client = Client()
    for path in [reverse("oral_history:interview", args=[interview.pk]),
                 reverse("oral_history:narrators"),
                 reverse("v1:interview", args=[interview.pk]),
                 "/memories/oai?verb=ListRecords&metadataPrefix=oai_dc"]:  # fmt: skip
        body = client.get(path).content.decode()
        assert "真名" not in body, path
    assert not selectors.search(client.get("/").wsgi_request.user, "真名")


def test_browse_pages_by_place_time_subject_narrator_and_collection(tmp_path):
    interview = InterviewFactory(title="纺织厂的往事", year_from=1958, year_to=1971)
    with_content(interview, recording=False)
    from oral_history.models import Subject

    subject = Subject.objects.create(name="工业", slug="工业")
    interview.subjects.add(subject)
    client = Client()
    places = client.get(reverse("oral_history:places")).content.decode()
    points = json.loads(places.split('id="oh-map-places" type="application/json">')[1]
                        .split("</script>")[0])  # fmt: skip
    assert {"沈阳", "纺织厂"} <= {p["name"] for p in points}
    timeline = client.get(reverse("oral_history:timeline")).content.decode()
    for decade in ("1950", "1960", "1970"):
        assert decade in timeline
    assert (
        "纺织厂的往事"
        in client.get(reverse("oral_history:subject", args=["工业"])).content.decode()
    )
    narrator = interview.narrators.first()
    assert client.get(reverse("oral_history:narrator", args=[narrator.pk])).status_code == 200
    collection = reverse("oral_history:collection", args=[interview.collection.slug])
    assert "纺织厂的往事" in client.get(collection).content.decode()


def test_list_pages_do_not_grow_queries_with_the_number_of_interviews():
    client = Client()

    def count(path: str) -> int:
        client.get(path)  # warm caches (site settings, sessions)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    paths = [reverse("oral_history:index"), reverse("v1:interviews"),
             reverse("oral_history:collection", args=["liaohai"]),
             f"{reverse('oral_history:search')}?q=往事"]  # fmt: skip
    for n in range(3):
        interview = InterviewFactory(title=f"往事{n}")
        services.reindex(interview=interview)
    before = [count(path) for path in paths]
    for n in range(3, 15):
        interview = InterviewFactory(title=f"往事{n}")
        services.reindex(interview=interview)
    assert [count(path) for path in paths] == before


def test_search_ranks_title_hits_above_passing_mentions_and_snippets_carry_times():
    passing = InterviewFactory(title="码头往事")
    services.save_transcript(interview=passing, user=None, vtt=(
        "WEBVTT\n\n00:10.000 --> 00:20.000\n后来我也去过一次纺织厂参观。\n"))  # fmt: skip
    about = InterviewFactory(title="纺织厂的三十年", summary="在纺织厂工作三十年")
    services.reindex(interview=about)
    hits = selectors.search(Client().get("/").wsgi_request.user, "纺织厂")
    assert [h.interview.pk for h in hits] == [about.pk, passing.pk]
    kind, seconds, html = hits[1].snippets[0]
    assert (kind, seconds) == ("transcript", 10.0)
    assert "<mark>纺织厂</mark>" in html
    page = Client().get(reverse("oral_history:search"), {"q": "纺织厂"}).content.decode()
    assert f"/memories/i/{passing.pk}/?t=10#player" in page


def test_desk_imports_ohms_and_refuses_bad_files_with_a_reason():
    staff = Client()
    staff.force_login(archivist())
    collection = InterviewFactory().collection
    desk = staff.get(reverse("oral_history:desk")).content.decode()
    assert "OHMS XML 文件：</label>" in desk and "请选择集合</option>" in desk
    assert "---------" not in desk and ":</label>" not in desk
    bad = SimpleUploadedFile("x.xml", b"<ROOT><record>")
    response = staff.post(reverse("oral_history:import"), {"file": bad,
                          "collection": collection.pk}, follow=True)  # fmt: skip
    assert "文件不是格式正确的 XML" in response.content.decode()
    good = SimpleUploadedFile("ok.xml", (
        b'<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"><record id="5" dt="2024-01-01">'
        b"<version>5.4</version><title>\xe5\xaf\xbc\xe5\x85\xa5</title><accession>IMP-1</accession>"
        b"</record></ROOT>"))  # fmt: skip
    response = staff.post(reverse("oral_history:import"), {"file": good,
                          "collection": collection.pk})  # fmt: skip
    assert response.status_code == 302
    reader = Client()
    reader.force_login(UserFactory())
    assert reader.get(reverse("oral_history:desk")).status_code == 403
    assert reader.post(reverse("oral_history:import"), {}).status_code == 403


def test_desk_uploads_a_recording_checked_by_content(tmp_path):
    from media.tests import samples

    interview = InterviewFactory()
    staff = Client()
    staff.force_login(archivist())
    url = reverse("oral_history:desk-interview", args=[interview.pk])
    fake = SimpleUploadedFile("voice.mp3", b"<html><script>alert(1)</script></html>" * 20)
    response = staff.post(url, {"action": "recording", "file": fake}, follow=True)
    assert not InterviewMedia.objects.filter(interview=interview).exists()
    assert "message-error" in response.content.decode()
    real = SimpleUploadedFile("voice.m4a", samples.ffmpeg_sample(tmp_path, "m4a").read_bytes())
    staff.post(url, {"action": "recording", "file": real, "title": "第一段"})
    item = InterviewMedia.objects.get(interview=interview)
    assert item.asset.original.visibility == "private"
    assert item.title == "第一段"


def test_site_search_finds_words_inside_interview_transcripts():
    open_one = InterviewFactory(title="码头往事")
    services.save_transcript(interview=open_one, user=None, vtt=(
        "WEBVTT\n\n00:10.000 --> 00:20.000\n那年冬天我们连夜破冰卸粮。\n"))  # fmt: skip
    hidden = InterviewFactory(title="限制的访谈", access_level=AccessLevel.RESTRICTED)
    services.save_transcript(interview=hidden, user=None, vtt=(
        "WEBVTT\n\n00:10.000 --> 00:20.000\n我们也连夜破冰。\n"))  # fmt: skip
    html = Client().get("/search/", {"q": "破冰"}).content.decode()
    assert "码头往事" in html and "<mark>破冰</mark>" in html
    assert "限制的访谈" not in html


def test_desk_restricts_one_recording_and_the_change_is_audited(tmp_path):
    interview = InterviewFactory()
    item = with_content(interview, tmp_path=tmp_path)
    media_url = reverse("oral_history:media", args=[interview.pk, item.pk])
    assert Client().get(media_url).status_code == 302  # to its user-content URL
    staff = Client()
    staff.force_login(archivist())
    staff.post(reverse("oral_history:desk-interview", args=[interview.pk]), {
        "action": "media_access", "media": str(item.pk), "access_level": "restricted",
        "reason": "录音中有第三方",
    })  # fmt: skip
    assert Client().get(media_url).status_code == 404
    assert (
        Client().get(reverse("oral_history:transcript-vtt", args=[interview.pk])).status_code == 200
    )
    entry = AuditEntry.objects.get(interview=interview, action="part_access_changed")
    assert entry.detail["reason"] == "录音中有第三方"
