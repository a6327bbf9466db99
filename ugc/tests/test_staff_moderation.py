"""What moderators and owners see: open reports only, decisions on reports, the work page's
processing state that updates itself, captions that are really required, readers' paragraphs."""

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError

from accounts import roles
from accounts import services as account_services
from accounts.tests.factories import UserFactory
from media.models import MediaAsset, ProcessingStatus
from ugc import selectors, services
from ugc.models import ModerationAction, Report, Work, WorkState
from ugc.tests.factories import make_work

CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:01.000\n你好\n".encode()


@pytest.fixture
def moderator(db):
    user = UserFactory()
    account_services.assign_role(user=user, role=roles.MODERATOR)
    TOTP.activate(user, pyotp.random_base32())
    return user


def published(owner, moderator, title):
    work = make_work(owner, title=title)
    services.submit_for_review(work=work, user=owner)
    return services.approve(work=work, moderator=moderator)


@pytest.mark.django_db
def test_the_queue_lists_only_works_with_open_reports(
    client, user, other_user, moderator, s3_endpoint
):
    quiet = published(user, moderator, "无人举报的作品")
    reported = published(user, moderator, "被举报两次的作品")
    settled = published(user, moderator, "举报已处理的作品")
    services.report(work=reported, reporter=other_user, reason="含有广告")
    services.report(work=reported, reporter=moderator, reason="标题不实")
    services.report(work=settled, reporter=other_user, reason="重复上传")
    Report.objects.filter(work=settled).update(resolved_at="2026-01-01T00:00:00Z")

    works = list(selectors.reported_works())
    assert [w.pk for w in works] == [reported.pk]
    assert works[0].open_reports == 2
    assert [r.reason for r in works[0].open_report_list] == ["含有广告", "标题不实"]

    client.force_login(moderator)
    page = client.get("/works/moderation/").content.decode()
    assert "被举报两次的作品" in page and "2 条待处理举报" in page
    assert quiet.title not in page and settled.title not in page
    assert "0 条待处理举报" not in page


@pytest.mark.django_db
def test_a_moderator_keeps_a_reported_work_and_closes_its_reports(
    client, user, other_user, moderator, s3_endpoint
):
    work = published(user, moderator, "浑河晨光")
    services.report(work=work, reporter=other_user, reason="我觉得不合适")
    client.force_login(moderator)
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert "我觉得不合适" in page and "保留公开并关闭举报" in page and "决定" in page
    answer = client.post(
        f"/works/{work.pk}/moderate/", {"action": "dismiss", "reason": "内容没有问题"}
    )
    assert answer.status_code == 302
    work.refresh_from_db()
    assert work.state == WorkState.PUBLISHED
    assert not Report.objects.filter(work=work, resolved_at__isnull=True).exists()
    entry = work.moderation_actions.first()
    assert (entry.action, entry.actor, entry.reason) == (
        ModerationAction.Action.DISMISS,
        moderator,
        "内容没有问题",
    )
    assert list(selectors.reported_works()) == []
    # Nothing left to dismiss: refused in the moderator's language, not silently "done".
    with pytest.raises(ValidationError):
        services.dismiss_reports(work=work, moderator=moderator)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied for a reader
        services.dismiss_reports(work=work, moderator=other_user)


@pytest.mark.django_db
def test_video_and_audio_need_captions_before_submission(client, user, s3_endpoint):
    work = make_work(user, title="沈阳的冬天")
    Work.objects.filter(pk=work.pk).update(kind="video")
    work.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.submit_for_review(work=work, user=user)
    assert "字幕" in str(refused.value.messages[0])
    client.force_login(user)
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert "视频或音频作品提交发布前必须添加字幕" in page
    services.set_captions(work=work, user=user, data=CAPTIONS)
    work.refresh_from_db()
    assert services.submit_for_review(work=work, user=user).state == WorkState.PENDING_REVIEW


@pytest.mark.django_db
def test_the_work_page_polls_its_state_only_while_processing(client, user, s3_endpoint):
    work = make_work(user)
    client.force_login(user)
    status_url = f"/works/{work.pk}/status/"
    MediaAsset.objects.filter(pk=work.asset_id).update(status=ProcessingStatus.PROCESSING)
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert 'id="work-media" aria-live="polite"' in page
    assert f'hx-get="{status_url}?seen=processing"' in page and 'hx-trigger="every 3s"' in page
    # Nothing changed: nothing to swap or announce.
    assert client.get(status_url, {"seen": "processing"}).status_code == 204

    MediaAsset.objects.filter(pk=work.asset_id).update(status=ProcessingStatus.READY)
    fragment = client.get(status_url, {"seen": "processing"})
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "就绪" in text or "已就绪" in text or "<img" in text
    assert "hx-get" not in text and "hx-trigger" not in text
    assert "hx-trigger" not in client.get(f"/works/{work.pk}/").content.decode()
    # Strangers get the same 404 as for any unpublished work.
    client.logout()
    assert client.get(status_url).status_code == 404


@pytest.mark.django_db
def test_descriptions_keep_the_readers_paragraphs_and_links(client, user, s3_endpoint):
    work = make_work(user)
    services.update_work(
        work=work,
        user=user,
        description=(
            "第一段第一行\n第一段第二行\n\n第二段 https://lib.example.org/ <script>x</script>"
        ),
    )
    client.force_login(user)
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert "<p>第一段第一行<br>第一段第二行</p><p>第二段 " in page
    assert 'href="https://lib.example.org/"' in page and "<script>x" not in page


@pytest.mark.django_db
def test_my_works_names_its_columns(client, user, s3_endpoint):
    make_work(user)
    client.force_login(user)
    page = client.get("/works/mine/").content.decode()
    assert '<th scope="col">文件处理</th><th scope="col">发布状态</th>' in page
