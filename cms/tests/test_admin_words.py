"""Words of Wagtail's admin that our own catalogue must not shadow or leave wrong."""

from django.utils import translation
from django.utils.translation import gettext, pgettext


def test_pages_live_and_pagination_read_right_in_chinese():
    with translation.override("zh-hans"):
        assert gettext("Pages") == "页面"  # the admin's menu: not "分页" (pagination)
        assert pgettext("pagination", "Pages") == "分页"
        assert gettext("live") == "已发布"  # a page's status: not "在用" (in use)
