"""The sanitiser's allow-lists, pinned exactly, and each of its switches checked by its effect.

Widening an allow-list (one more tag, one more attribute, one more URL scheme) is a security
decision and must show up as a failing test here, not slip through in a refactoring.
"""

import pytest

from core import sanitize
from core.sanitize import clean_html, plain_text

REL = 'rel="nofollow noopener ugc"'


def test_the_allowed_tags_attributes_and_protocols_are_pinned():
    assert set(sanitize.ALLOWED_TAGS) == {
        "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "a", "code",
        "pre",
    }  # fmt: skip
    assert sanitize.ALLOWED_ATTRIBUTES == {"a": ["href", "title"]}
    assert set(sanitize.ALLOWED_PROTOCOLS) == {"http", "https", "mailto"}


@pytest.mark.parametrize(
    "tag", ["img", "script", "style", "iframe", "svg", "object", "embed", "form", "input", "span"]
)
def test_tags_outside_the_allow_list_are_stripped_and_their_text_kept_as_text(tag):
    cleaned = clean_html(f"<p>a<{tag} src=x>b</{tag}>c</p>")
    assert f"<{tag}" not in cleaned
    assert cleaned.startswith("<p>a") and cleaned.endswith("c</p>")


@pytest.mark.parametrize(
    "attribute",
    ['onclick="x()"', "onerror=x()", 'ONMOUSEOVER="x()"', 'style="color:red"', 'class="c"', "id=i"],
)
def test_event_handlers_and_other_attributes_are_stripped(attribute):
    cleaned = clean_html(f'<p {attribute}>t</p><a href="https://lib.example/" {attribute}>l</a>')
    assert cleaned == f'<p>t</p><a href="https://lib.example/" {REL}>l</a>'


def test_an_image_with_an_event_handler_leaves_nothing_behind():
    assert clean_html('<img src="x" onerror="alert(1)">') == ""
    assert clean_html("<IMG SRC=x OnError=alert(1)>") == ""


def test_links_keep_href_and_title_only_and_carry_the_reader_rel():
    cleaned = clean_html('<a href="https://x.org/a" title="t" target="_blank" rel="me">l</a>')
    assert cleaned == f'<a href="https://x.org/a" title="t" {REL}>l</a>'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<b>",
        "ftp://x.org/",
        "vbscript:x",
    ],
)
def test_links_with_other_schemes_lose_their_href(href):
    assert clean_html(f'<a href="{href}">l</a>') == f"<a {REL}>l</a>"


@pytest.mark.parametrize("href", ["http://x.org/", "https://x.org/", "mailto:a@x.org"])
def test_links_with_allowed_schemes_are_kept(href):
    assert clean_html(f'<a href="{href}">l</a>') == f'<a href="{href}" {REL}>l</a>'


def test_bare_web_addresses_become_links_but_email_addresses_do_not():
    cleaned = clean_html("see www.example.org or write to reader@example.org")
    assert cleaned == (
        f'see <a href="http://www.example.org" {REL}>www.example.org</a>'
        " or write to reader@example.org"
    )


def test_comments_are_removed():
    assert clean_html("<p>a<!-- <script>x</script> -->b</p>") == "<p>ab</p>"


def test_empty_values_give_empty_text():
    assert clean_html(None) == "" and clean_html("") == ""
    assert plain_text(None) == "" and plain_text("") == ""


def test_plain_text_keeps_only_the_text():
    assert plain_text("  <p>一<b>二</b></p><!-- 三 --><img src=x onerror=y>  ") == "一二"
    assert plain_text("&lt;script&gt; a &amp; b") == "<script> a & b"
    assert plain_text('<a href="https://x.org" title="t">链接</a>') == "链接"


# --- formatted_text: a reader's typed text keeps its shape, and stays clean -----------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("a\r\nb", "<p>a<br>b</p>"),  # Windows line ends
        ("a\rb", "<p>a<br>b</p>"),  # old Mac line ends
        ("one\n\ntwo", "<p>one</p><p>two</p>"),
        ("one\n \t\n\ntwo", "<p>one</p><p>two</p>"),  # a "blank" line with spaces in it
        ("x\n\n\n\ny", "<p>x</p><p>y</p>"),
        ("one\n\n \n\ntwo", "<p>one</p><p>two</p>"),  # no empty paragraph between
        ("  padded  \n\n", "<p>padded</p>"),
        ("a \n b", "<p>a <br> b</p>"),
        ("<br>x", "<p><br>x</p>"),
        ("", ""),
        (None, ""),
        ("   \n\n  ", ""),
        # Text that brings its own blocks is left as it is (then cleaned), in any letter case.
        ("<p>own</p>\nline", "<p>own</p>\nline"),
        ("<P>up</P>\n\nz", "<p>up</p>\n\nz"),
        ("<UL><li>x</li></UL>", "<ul><li>x</li></ul>"),
        ("<ol><li>1</li></ol>", "<ol><li>1</li></ol>"),
        ("<pre>x\n\ny</pre>", "<pre>x\n\ny</pre>"),
        ("<blockquote>q</blockquote>\n\nz", "<blockquote>q</blockquote>\n\nz"),
        ("< p>x</p>", "&lt; p&gt;x<p></p>"),
        # A tag that only starts like a block tag is not one.
        ("<pa>x\n\ny", "<p>x</p><p>y</p>"),
        # Whatever the shape, what a browser could run is gone.
        ("<script>alert(1)</script>\n\nsafe", "<p>alert(1)</p><p>safe</p>"),
        ('<p onclick="x()">hi</p>', "<p>hi</p>"),
        ("<img src=x onerror=alert(1)>\n\nz", "<p></p><p>z</p>"),
    ],
)
def test_formatted_text_keeps_the_shape_typed(typed, shown):
    assert sanitize.formatted_text(typed) == shown
