"""What is restricted stays restricted on every path: pages, media, transcript, manifest, OHMS,
API, search, OAI-PMH and the sitemap, for a visitor, a reader, a reader whose grant expired, a
reader with a grant, and an archivist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from oral_history import selectors, services
from oral_history.models import AccessLevel, IndexSegment, Transcript

from .factories import InterviewFactory, archivist, grant, with_content

pytestmark = pytest.mark.django_db


def _paths(interview, item) -> dict[str, str]:
    return {
        "page": reverse("oral_history:interview", args=[interview.pk]),
        "media": reverse("oral_history:media", args=[interview.pk, item.pk]),
        "vtt": reverse("oral_history:transcript-vtt", args=[interview.pk]),
        "manifest": reverse("oral_history:manifest", args=[interview.pk]),
        "api": reverse("v1:interview", args=[interview.pk]),
    }


def _ok(part: str) -> int:
    """What a user who may reach ``part`` gets: a recording (or a consent scan) is a redirect to
    its short-lived signed URL on the user-content origin, the rest is answered here."""
    return 302 if part in ("media", "form") else 200


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _found_by_search(client: Client, interview, query: str) -> bool:
    response = client.get(reverse("oral_history:search"), {"q": query})
    assert response.status_code == 200
    return interview.title in response.content.decode()


def _harvested(client: Client, interview) -> str:
    """'record' if OAI-PMH gives the metadata, 'deleted', or 'absent'."""
    query = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    body = client.get(reverse("oral_history:oai"), query).content.decode()
    marker = f"interview/{interview.pk}</identifier>"
    if marker not in body:
        return "absent"
    header = body[: body.index(marker)].rsplit("<header", 1)[1]
    return "deleted" if 'status="deleted"' in header else "record"


@pytest.fixture
def people(db):
    reader = UserFactory()
    expired = UserFactory()
    granted = UserFactory()
    return {
        "visitor": None,
        "reader": reader,
        "expired": expired,
        "granted": granted,
        "archivist": archivist(),
    }


def _setup(tmp_path, people, **fields):
    interview = InterviewFactory(title="纺织厂的往事", **fields)
    item = with_content(interview, tmp_path=tmp_path)
    grant(interview, people["expired"], expired=True)
    grant(interview, people["granted"])
    return interview, item


# who → may they reach the parts (media, transcript, manifest)?
MATRIX = {
    AccessLevel.OPEN: {"visitor": True, "reader": True, "expired": True, "granted": True,
                       "archivist": True},
    AccessLevel.REQUEST: {"visitor": False, "reader": False, "expired": False, "granted": True,
                          "archivist": True},
    AccessLevel.RESTRICTED: {"visitor": False, "reader": False, "expired": False,
                             "granted": False, "archivist": True},
}  # fmt: skip


@pytest.mark.parametrize("level", list(MATRIX))
def test_every_path_follows_the_interview_access_level(tmp_path, people, level):
    interview, item = _setup(tmp_path, people, access_level=level)
    paths = _paths(interview, item)
    for who, allowed in MATRIX[level].items():
        client = _client(people[who])
        record_visible = level != AccessLevel.RESTRICTED or who == "archivist"
        assert client.get(paths["page"]).status_code == (200 if record_visible else 404), who
        assert client.get(paths["api"]).status_code == (200 if record_visible else 404), who
        for part in ("media", "vtt", "manifest"):
            status = client.get(paths[part]).status_code
            assert status == (_ok(part) if allowed else 404), (who, part, status)
        # Transcript words are found only by those who may read the transcript; the record
        # (title, summary) by anyone who may see it.
        assert _found_by_search(client, interview, "火车") == allowed, who
        assert _found_by_search(client, interview, "纺织厂") == record_visible, who
        if allowed and who != "archivist":
            page = client.get(paths["page"]).content.decode()
            assert "师傅手把手教我接线头" in page
        elif not allowed:
            page = client.get(paths["page"]).content.decode() if record_visible else ""
            assert "师傅手把手教我接线头" not in page
    anonymous = Client()
    assert _harvested(anonymous, interview) == ("absent" if level == AccessLevel.RESTRICTED
                                                else "record")  # fmt: skip
    assert "/sitemap-memories.xml" in anonymous.get("/sitemap.xml").content.decode()
    sitemap = anonymous.get("/sitemap-memories.xml").content.decode()
    assert (f"/memories/i/{interview.pk}/" in sitemap) == (level != AccessLevel.RESTRICTED)


def test_embargo_hides_media_and_transcript_until_the_date_but_not_the_record(tmp_path, people):
    interview, item = _setup(
        tmp_path, people, access_level=AccessLevel.EMBARGO,
        embargo_until=timezone.localdate() + dt.timedelta(days=365),
    )  # fmt: skip
    paths = _paths(interview, item)
    for who in ("visitor", "reader", "granted"):
        client = _client(people[who])
        assert client.get(paths["page"]).status_code == 200
        for part in ("media", "vtt", "manifest"):
            assert client.get(paths[part]).status_code == 404, (who, part)
        assert not _found_by_search(client, interview, "火车")
        assert _found_by_search(client, interview, "纺织厂")
    assert _client(people["archivist"]).get(paths["media"]).status_code == _ok("media")
    assert _harvested(Client(), interview) == "record"

    # The day the embargo ends everything opens, without re-indexing.
    interview.embargo_until = timezone.localdate()
    interview.save()
    client = _client(None)
    for part in ("media", "vtt", "manifest"):
        assert client.get(paths[part]).status_code == _ok(part), part
    assert _found_by_search(client, interview, "火车")


def test_unpublished_and_withdrawn_interviews_are_gone_for_the_public(tmp_path, people):
    interview, item = _setup(tmp_path, people, published=False)
    paths = _paths(interview, item)
    for who in ("visitor", "reader", "granted"):
        client = _client(people[who])
        for path in paths.values():
            assert client.get(path).status_code == 404
    assert _harvested(Client(), interview) == "absent"

    interview.published = True
    interview.withdrawn_at = timezone.now()
    interview.save()
    for who in ("visitor", "granted"):
        client = _client(people[who])
        for path in paths.values():
            assert client.get(path).status_code == 404
        assert not _found_by_search(client, interview, "纺织厂")
    assert _harvested(Client(), interview) == "deleted"
    assert _client(people["archivist"]).get(paths["page"]).status_code == 200


def test_part_levels_restrict_the_transcript_and_single_segments(tmp_path, people):
    interview, item = _setup(tmp_path, people)
    Transcript.objects.filter(interview=interview).update(access_level=AccessLevel.RESTRICTED)
    IndexSegment.objects.filter(interview=interview, title="家事").update(
        access_level=AccessLevel.REQUEST
    )
    services.reindex(interview=interview)
    paths = _paths(interview, item)
    visitor = _client(None)
    assert visitor.get(paths["media"]).status_code == _ok("media")
    assert visitor.get(paths["vtt"]).status_code == 404
    page = visitor.get(paths["page"]).content.decode()
    assert "接线头" not in page
    assert "进厂" in page and "家事" not in page
    assert not _found_by_search(visitor, interview, "火车")
    assert not _found_by_search(visitor, interview, "姐姐")
    api = visitor.get(paths["api"]).json()
    assert api["transcript"] is None
    assert [s["title"] for s in api["segments"]] == ["进厂"]
    # The manifest plays the recording but does not point at the hidden transcript.
    manifest = visitor.get(paths["manifest"]).json()
    assert "annotations" not in manifest["items"][0]

    granted = _client(people["granted"])
    assert "家事" in granted.get(paths["page"]).content.decode()
    assert _found_by_search(granted, interview, "姐姐")
    assert granted.get(paths["vtt"]).status_code == 404


def test_redacted_ranges_are_cut_from_the_public_transcript_search_and_segments(tmp_path, people):
    interview, item = _setup(tmp_path, people)
    services.add_redaction(interview=interview, start=24, end=32, reason="第三方隐私",
                           user=people["archivist"])  # fmt: skip
    paths = _paths(interview, item)
    visitor = _client(None)
    vtt = visitor.get(paths["vtt"]).content.decode()
    assert "姐姐的秘密" not in vtt
    assert "[redacted]" in vtt or "[已删节]" in vtt
    page = visitor.get(paths["page"]).content.decode()
    assert "姐姐的秘密" not in page
    assert not _found_by_search(visitor, interview, "秘密")
    # Until the silenced copy exists the public gets no recording at all, never the original.
    item.refresh_from_db()
    assert item.redacted_copy_status == "pending"
    assert visitor.get(paths["media"]).status_code == 404
    # Staff still read and hear everything.
    staff = _client(people["archivist"])
    assert "姐姐的秘密" in staff.get(paths["vtt"]).content.decode()
    assert staff.get(paths["media"]).status_code == _ok("media")


def test_masters_and_consent_forms_have_no_public_url(tmp_path, people):
    from media.tests import samples

    interview, item = _setup(tmp_path, people)
    upload = _upload("consent.pdf", samples.pdf_bytes())
    consent = services.record_consent(interview=interview, user=people["archivist"],
                                      scanned_form=upload, scope=["archive"])  # fmt: skip
    master = item.asset.original
    form_url = reverse("oral_history:consent-form", args=[consent.pk])
    for who in ("visitor", "reader", "granted"):
        client = _client(people[who])
        assert client.get(f"/files/{master.pk}/").status_code == 404
        assert client.get(f"/files/{consent.scanned_form.pk}/").status_code == 404
        assert client.get(form_url).status_code == 403
    assert _client(people["archivist"]).get(form_url).status_code == _ok("form")


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_guessing_ids_of_restricted_interviews_reveals_nothing(tmp_path, people):
    interview, _item = _setup(tmp_path, people, access_level=AccessLevel.RESTRICTED)
    visitor = _client(people["reader"])
    missing = visitor.get(reverse("oral_history:interview", args=[interview.pk + 1000]))
    hidden = visitor.get(reverse("oral_history:interview", args=[interview.pk]))
    assert missing.status_code == hidden.status_code == 404
    assert interview.title not in visitor.get(reverse("oral_history:index")).content.decode()
    narrator = interview.narrators.first()
    assert visitor.get(reverse("oral_history:narrator", args=[narrator.pk])).status_code == 404
    assert visitor.get(reverse("v1:interviews")).json()["results"] == []


def test_selector_and_database_filters_agree(tmp_path, people):
    """part_available (Python) and the search filter (SQL) must give the same answers."""
    levels = [
        (AccessLevel.OPEN, None),
        (AccessLevel.REQUEST, None),
        (AccessLevel.RESTRICTED, None),
        (AccessLevel.EMBARGO, timezone.localdate() + dt.timedelta(days=3)),
        (AccessLevel.EMBARGO, timezone.localdate() - dt.timedelta(days=3)),
    ]
    interviews = []
    for n, (level, until) in enumerate(levels):
        interview = InterviewFactory(title=f"标题{n}", access_level=level, embargo_until=until)
        interview.segments.create(start=0, title="共同的话题", access_level=AccessLevel.OPEN)
        services.reindex(interview=interview)
        grant(interview, people["granted"])
        interviews.append(interview)
    for who, user in people.items():
        viewer = user or _anonymous()
        found = {hit.interview.pk for hit in selectors.search(viewer, "共同的话题")}
        expected = {
            i.pk for i in interviews
            if selectors.part_available(viewer, i, i.segments.first())
        }  # fmt: skip
        assert found == expected, who


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
