"""OctoPrint's English state text reaches technicians in Chinese; firmware messages stay as
they are, marked as English, and cannot inject markup."""

import pytest
from django.utils import translation

from makerspace.templatetags.octoprint_text import STATES, octoprint_text


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("Operational", "可以打印"),
        ("Closed", "连接已关闭"),
        ("Offline after error", "出错后离线"),
        ("Printing from SD", "正在打印 SD 卡中的文件"),
        ("Error: Thermal Runaway", '错误：<span lang="en">Thermal Runaway</span>'),
        (
            "Offline (Error: Heating failed, system stopped!)",
            '错误：<span lang="en">Heating failed, system stopped!</span>',
        ),
        ("Something new", '<span lang="en">Something new</span>'),
        ("OctoPrint 服务器没有应答", "OctoPrint 服务器没有应答"),
        ("", ""),
        (
            "Error: <img src=x onerror=alert(1)>",
            '错误：<span lang="en">&lt;img src=x onerror=alert(1)&gt;</span>',
        ),
        ("<b>x</b>", '<span lang="en">&lt;b&gt;x&lt;/b&gt;</span>'),
    ],
)
def test_octoprint_text_in_chinese(sent, shown):
    with translation.override("zh-hans"):
        assert str(octoprint_text(sent)) == shown


def test_every_state_octoprint_names_is_translated():
    with translation.override("zh-hans"):
        for english, label in STATES.items():
            assert str(label) != english, english
