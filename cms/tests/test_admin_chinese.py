"""Staff work in Chinese in our parts of the admin: Wagtail's editor strings its own catalogue
lacks come from ours, and the default workflow carries a Chinese name."""

import pytest
from wagtail.models import Task, Workflow

pytestmark = pytest.mark.django_db


def test_the_editors_block_menu_is_translated(client, user):
    # Wagtail 8 ships no zh_Hans for "Insert a block" and friends; locale/…/djangojs.po does.
    answer = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = answer.content.decode("unicode_escape") if answer.status_code == 200 else ""
    if answer.status_code != 200:
        client.force_login(user)
        text = client.get("/admin/jsi18n/").content.decode("unicode_escape")
    assert "插入内容块" in text and "正在自动保存" in text


def test_the_default_workflow_has_a_chinese_name():
    assert not Workflow.objects.filter(name="Moderators approval").exists()
    assert not Task.objects.filter(name="Moderators approval").exists()
    assert Workflow.objects.filter(name="审核发布").exists()
    assert Task.objects.filter(name="审核员审批").exists()
