import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages

from accounts import roles
from accounts import services as account_services
from accounts.tests.factories import UserFactory
from media.models import StoredFile, Visibility
from media.tests import samples
from media.tests.usercontent import body, follow
from ugc import services
from ugc.models import ModerationAction, Work, WorkState
from ugc.tests.factories import make_work


@pytest.fixture
def moderator(db):
    """A moderator with TOTP set up (staff without it are sent to enrol first)."""
    user = UserFactory()
    account_services.assign_role(user=user, role=roles.MODERATOR)
    TOTP.activate(user, pyotp.random_base32())
    return user


def keys_of(work: Work) -> list[tuple[str, str]]:
    files = [d.file for d in work.asset.derivatives.all()] + [work.asset.original]
    return [(f.visibility, f.key) for f in files]


def existing(keys) -> list:
    found = []
    for _visibility, key in keys:
        for alias in ("default", "private"):
            if storages[alias].exists(key):
                found.append((alias, key))
    return found


def file_urls(work: Work) -> list[str]:
    return [f"/files/{d.file_id}/" for d in work.asset.derivatives.all()] + [
        f"/files/{work.asset.original_id}/"
    ]


@pytest.mark.django_db
def test_unpublished_works_and_their_files_are_unreachable_by_others(
    client, user, other_user, moderator, s3_endpoint
):
    work = make_work(user)
    urls = [f"/works/{work.pk}/", *file_urls(work)]
    for viewer in (None, other_user):
        client.logout()
        if viewer:
            client.force_login(viewer)
        for url in urls:
            assert client.get(url).status_code == 404, (viewer, url)
        assert work.title not in client.get("/works/").content.decode()
    # The owner, and moderators asked to review it, get the page and each file (which the site
    # hands to the user-content origin after its permission check).
    for reader in (user, moderator):
        client.force_login(reader)
        assert client.get(urls[0]).status_code == 200
        for url in urls[1:]:
            _redirect, answer = follow(client, url)
            assert answer.status_code == 200, (reader, url)


@pytest.mark.django_db
def test_moderation_flow_publishes_notifies_and_records(
    client, user, other_user, moderator, s3_endpoint, django_capture_on_commit_callbacks
):
    work = make_work(user, title="我的播客")
    with pytest.raises(PermissionDenied):
        services.submit_for_review(work=work, user=other_user)
    client.force_login(user)
    assert client.post(f"/works/{work.pk}/submit/").status_code == 302
    work.refresh_from_db()
    assert work.state == WorkState.PENDING_REVIEW

    # Readers cannot moderate, even by posting to the URL.
    client.force_login(other_user)
    assert client.post(f"/works/{work.pk}/moderate/", {"action": "approve"}).status_code == 403

    client.force_login(moderator)
    refused = client.post(f"/works/{work.pk}/moderate/", {"action": "reject", "reason": ""})
    # A rejection needs a reason: the page comes back with the decision kept and the message
    # beside the reason field (where focus goes), not in a banner screens away.
    assert refused.status_code == 422
    html = refused.content.decode()
    assert '<option value="reject" selected>' in html
    assert 'id="id_reason_error">请告诉读者作品未通过的原因。</p>' in html
    work.refresh_from_db()
    assert work.state == WorkState.PENDING_REVIEW
    nothing = client.post(f"/works/{work.pk}/moderate/", {"action": "burn"})
    assert nothing.status_code == 422 and "form-errors" in nothing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/works/{work.pk}/moderate/", {"action": "approve"})
    work.refresh_from_db()
    assert work.state == WorkState.PUBLISHED and work.published_at
    assert mail.outbox[-1].to == [user.email]
    assert "我的播客" in mail.outbox[-1].subject
    # Derivatives now live in the public bucket; an image's original stays private.
    for derivative in work.asset.derivatives.all():
        assert derivative.file.visibility == Visibility.PUBLIC
        assert storages["default"].exists(derivative.file.key)
        assert not storages["private"].exists(derivative.file.key)
    assert work.asset.original.visibility == Visibility.PRIVATE
    client.logout()
    assert client.get(f"/works/{work.pk}/").status_code == 200
    assert client.get(f"/files/{work.asset.original_id}/").status_code == 404
    assert "我的播客" in client.get("/works/").content.decode()

    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/works/{work.pk}/moderate/", {"action": "take_down", "reason": "侵犯版权"})
    work.refresh_from_db()
    assert work.state == WorkState.TAKEN_DOWN
    assert work.moderation_note == "侵犯版权"
    assert "侵犯版权" in mail.outbox[-1].body
    assert all(f.visibility == Visibility.PRIVATE for f in StoredFile.objects.filter(owner=user))
    client.logout()
    assert client.get(f"/works/{work.pk}/").status_code == 404
    actions = list(work.moderation_actions.values_list("action", "actor", flat=False))
    assert [a for a, _actor in actions] == ["take_down", "approve", "submit"]
    assert actions[0][1] == moderator.pk


@pytest.mark.django_db
def test_a_decision_applies_only_to_the_state_it_was_made_for(user, moderator, s3_endpoint):
    work = make_work(user)
    services.submit_for_review(work=work, user=user)
    services.approve(work=work, moderator=moderator)
    with pytest.raises(ValidationError):
        services.reject(work=work, moderator=moderator, reason="迟到的决定")
    assert ModerationAction.objects.filter(work=work).count() == 2


@pytest.mark.django_db
def test_deleting_a_published_work_leaves_nothing_in_either_bucket(
    client, user, moderator, s3_endpoint, django_capture_on_commit_callbacks
):
    work = make_work(user)
    services.submit_for_review(work=work, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(work=work, moderator=moderator)
    keys = keys_of(Work.objects.get(pk=work.pk))
    assert existing(keys)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/works/{work.pk}/delete/")
    assert response.status_code == 302
    assert not Work.objects.filter(pk=work.pk).exists()
    assert not StoredFile.objects.filter(owner=user).exists()
    assert existing(keys) == []


@pytest.mark.django_db
def test_others_cannot_edit_delete_or_submit(client, user, other_user, s3_endpoint):
    work = make_work(user)
    client.force_login(other_user)
    for path in ("edit", "delete"):
        assert client.get(f"/works/{work.pk}/{path}/").status_code == 404
    for path in ("delete", "submit", "withdraw"):
        assert client.post(f"/works/{work.pk}/{path}/").status_code == 404
    assert Work.objects.get(pk=work.pk).state == WorkState.PRIVATE


@pytest.mark.django_db
def test_titles_and_descriptions_are_sanitised(user, s3_endpoint):
    work = make_work(user)
    services.update_work(
        work=work,
        user=user,
        title="<b>标题</b><script>x()</script>",
        description=(
            '<p onclick="x()">介绍<script>alert(1)</script><a href="javascript:x">链接</a></p>'
        ),
    )
    work.refresh_from_db()
    assert work.title == "标题x()"
    assert "<script" not in work.description and "onclick" not in work.description
    assert "javascript:" not in work.description


@pytest.mark.django_db
def test_gallery_filters_and_query_count(
    client, user, moderator, s3_endpoint, django_assert_max_num_queries
):
    photos = [make_work(user, title=f"照片{i}", tags=["老照片"]) for i in range(3)]
    model = make_work(user, title="齿轮模型", data=samples.stl_binary(), name="gear.stl",
                      kind="model", fmt="stl", tags=["3D打印"])  # fmt: skip
    for work in [*photos, model]:
        services.submit_for_review(work=work, user=user)
        services.approve(work=work, moderator=moderator)
    assert "齿轮模型" in client.get("/works/", {"kind": "model"}).content.decode()
    assert "照片0" not in client.get("/works/", {"kind": "model"}).content.decode()
    assert "照片1" in client.get("/works/", {"tag": "老照片"}).content.decode()
    assert "齿轮模型" in client.get("/works/", {"q": "齿轮"}).content.decode()
    with django_assert_max_num_queries(12):
        html = client.get("/works/").content.decode()
    assert html.count('class="work-card"') == 4


@pytest.mark.django_db
def test_reports_are_recorded_once(client, user, other_user, moderator, s3_endpoint):
    work = make_work(user)
    services.submit_for_review(work=work, user=user)
    services.approve(work=work, moderator=moderator)
    client.force_login(other_user)
    client.post(f"/works/{work.pk}/report/", {"reason": "含有他人隐私"})
    client.post(f"/works/{work.pk}/report/", {"reason": "再次举报"})
    assert work.reports.count() == 1
    assert work.reports.get().reporter == other_user


@pytest.mark.django_db
def test_favourites_toggle_and_comments_are_plain_rate_limited_and_moderated(
    client, user, other_user, moderator, s3_endpoint, settings
):
    work = make_work(user)
    client.force_login(other_user)
    # Nothing to like or discuss before publication.
    client.post(f"/works/{work.pk}/comments/", {"body": "太早了"})
    assert not work.comments.exists()
    services.submit_for_review(work=work, user=user)
    services.approve(work=work, moderator=moderator)

    response = client.post(f"/works/{work.pk}/favourite/", HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true"' in response.content.decode()
    client.post(f"/works/{work.pk}/favourite/")
    assert not work.favourites.exists()

    client.post(f"/works/{work.pk}/comments/", {"body": "<b>拍得真好</b><script>x()</script>"})
    comment = work.comments.get()
    assert comment.body == "拍得真好x()"
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert "拍得真好x()" in page and "<script>x()" not in page

    settings.UGC_COMMENTS_PER_10_MINUTES = 2
    client.post(f"/works/{work.pk}/comments/", {"body": "第二条"})
    client.post(f"/works/{work.pk}/comments/", {"body": "第三条"})
    assert work.comments.count() == 2  # the third came too quickly

    client.force_login(moderator)
    client.post(f"/works/comments/{comment.pk}/hide/", {"reason": "广告"})
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_by == moderator
    client.logout()
    assert "拍得真好" not in client.get(f"/works/{work.pk}/").content.decode()
    # A reader cannot hide or delete someone else's comment.
    client.force_login(user)
    assert client.post(f"/works/comments/{comment.pk}/delete/").status_code == 404
    assert client.post(f"/works/comments/{comment.pk}/hide/", {"reason": "x"}).status_code == 403


@pytest.mark.django_db
def test_captions_are_validated_shown_and_published_with_the_work(
    client, user, moderator, s3_endpoint, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    video = samples.ffmpeg_sample(tmp_path, "mp4").read_bytes()
    work = make_work(user, data=video, name="clip.mp4", kind="video", fmt="mp4")
    client.force_login(user)
    # Submitting without captions is refused on the page itself, beside the captions field.
    unready = client.post(f"/works/{work.pk}/submit/")
    assert unready.status_code == 422
    assert 'id="id_captions_error">提交视频或音频作品之前，请先添加字幕' in unready.content.decode()
    bad = SimpleUploadedFile("c.vtt", b"not captions", content_type="text/vtt")
    refused = client.post(f"/works/{work.pk}/captions/", {"captions": bad})
    assert refused.status_code == 422 and 'id="id_captions_error"' in refused.content.decode()
    work.refresh_from_db()
    assert work.captions is None
    good = SimpleUploadedFile(
        "c.vtt", "WEBVTT\n\n00:00.000 --> 00:01.500\n家乡的声音\n".encode(), content_type="text/vtt"
    )
    client.post(f"/works/{work.pk}/captions/", {"captions": good})
    work.refresh_from_db()
    assert work.captions.content_type == "text/vtt"
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert f'<track kind="captions" src="/files/{work.captions_id}/"' in page
    assert "✓ 已添加字幕" in page
    services.submit_for_review(work=work, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(work=work, moderator=moderator)
    work.captions.refresh_from_db()
    assert work.captions.visibility == Visibility.PUBLIC
    client.logout()
    _redirect, response = follow(client, f"/files/{work.captions_id}/")
    assert "家乡的声音" in body(response).decode()


@pytest.mark.django_db
def test_collections_group_a_readers_works(client, user, other_user, moderator, s3_endpoint):
    client.force_login(user)
    client.post("/works/mine/", {"title": "沈阳记忆", "description": "老城区"})
    page = client.post("/works/mine/", {"title": "沈阳记忆"}).content.decode()
    assert "同名的专辑" in page  # the same title twice is refused
    assert "<title>我的作品 · 辽图共享空间</title>" in page
    collection = user.collections.get()
    work = make_work(user, title="中街夜景")
    services.update_work(work=work, user=user, collection=collection)
    client.force_login(other_user)
    assert client.get(f"/works/collections/{collection.pk}/").status_code == 404  # nothing public
    services.submit_for_review(work=work, user=user)
    services.approve(work=work, moderator=moderator)
    page = client.get(f"/works/collections/{collection.pk}/").content.decode()
    assert "中街夜景" in page and "沈阳记忆" in page
    # A collection of someone else cannot be chosen for one's own work.
    theirs = make_work(other_user)
    with pytest.raises(ValidationError):
        services.update_work(work=theirs, user=other_user, collection=collection)


@pytest.mark.django_db
def test_moderators_see_the_queue_and_reported_works(
    client, user, other_user, moderator, s3_endpoint
):
    pending = make_work(user, title="待审作品")
    services.submit_for_review(work=pending, user=user)
    reported = make_work(user, title="被举报作品")
    services.submit_for_review(work=reported, user=user)
    services.approve(work=reported, moderator=moderator)
    services.report(work=reported, reporter=other_user, reason="含有广告")
    client.force_login(other_user)
    assert client.get("/works/moderation/").status_code == 403
    client.force_login(moderator)
    page = client.get("/works/moderation/").content.decode()
    assert "待审作品" in page and "被举报作品" in page and "含有广告" in page
    assert "<title>待审核的作品 · 辽图共享空间</title>" in page


@pytest.mark.django_db
def test_the_album_choice_offers_no_album_in_words_not_dashes(user):
    from django.utils import translation

    from ugc.forms import NewWorkForm

    with translation.override("en"):
        html = str(NewWorkForm(owner=user)["collection"])
    assert '<option value="" selected>No album</option>' in html and "-----" not in html
