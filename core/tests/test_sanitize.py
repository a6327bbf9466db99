from core.sanitize import clean_html, plain_text


def test_clean_html_removes_scripts_handlers_and_javascript_urls():
    hostile = (
        '<p onclick="steal()">你好<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>'
        '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'
    )
    cleaned = clean_html(hostile)
    assert "<script" not in cleaned
    assert "onclick" not in cleaned
    assert "onerror" not in cleaned
    assert "javascript:" not in cleaned
    assert "<style" not in cleaned
    assert "<iframe" not in cleaned
    assert "<p>你好" in cleaned


def test_clean_html_keeps_safe_links_marked_as_user_content():
    cleaned = clean_html('<a href="https://lib.example/book">书目</a> <strong>重要</strong>')
    assert 'href="https://lib.example/book"' in cleaned
    assert 'rel="nofollow noopener ugc"' in cleaned
    assert "<strong>重要</strong>" in cleaned


def test_plain_text_strips_every_tag_and_does_not_double_escape():
    assert plain_text("<b>鲁迅 &amp; 许广平</b><script>x</script>") == "鲁迅 & 许广平x"
