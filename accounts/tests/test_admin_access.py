"""The staff admin for those it is for: a signed-in reader is told so (no endless round of
redirects), a visitor is sent to sign in, and staff menus show only what each may open."""

import pytest
from django.test import Client

from accounts import roles
from accounts.tests.factories import UserFactory
from booking.tests.factories import staff_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/admin/", "/admin/statistics/", "/admin/pages/"])
def test_a_signed_in_reader_gets_a_chinese_not_allowed_page_not_a_redirect_loop(path):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(UserFactory())
    answer = client.get(path)
    assert answer.status_code == 403
    assert "无权访问" in answer.content.decode()
    assert 'lang="zh-Hans"' in answer.content.decode()


def test_a_visitor_is_still_sent_to_sign_in():
    answer = Client().get("/admin/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_staff_pages_refuse_readers_in_chinese():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(UserFactory())
    for path in ("/memories/desk/", "/booking/staff/", "/works/moderation/"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "无权访问" in answer.content.decode(), path


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (roles.TECHNICIAN, [], ["学习统计", "档案工作台"]),
        (roles.MODERATOR, [], ["学习统计", "档案工作台"]),
        (roles.ARCHIVIST, ["档案工作台"], ["学习统计"]),
        (roles.LIBRARIAN_ADMIN, ["学习统计"], []),
    ],
)
def test_the_admin_menu_shows_each_role_only_what_it_may_open(role, shown, hidden):
    from django.test import RequestFactory
    from django.utils import translation
    from wagtail.admin.menu import admin_menu

    request = RequestFactory().get("/admin/")
    request.user = staff_member(role)
    with translation.override("zh-hans"):
        labels = {str(item.label) for item in admin_menu.menu_items_for_request(request)}
    assert "统计" in labels  # every role has its own statistics
    for label in shown:
        assert label in labels, label
    for label in hidden:
        assert label not in labels, label
