"""HTML from readers: plain text, or a small safe subset through bleach.

Used wherever a reader writes text that is shown to others (titles, descriptions, comments).
"""

import html

import bleach

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "a", "code", "pre"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _external_links(attrs: dict, new: bool = False) -> dict | None:
    # Readers' links must not pass on the library's authority (rel=nofollow) or the opener.
    attrs[(None, "rel")] = "nofollow noopener ugc"
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[],
)


def clean_html(value: str) -> str:
    """Keep only the safe subset: no script, style, event handlers or javascript: URLs."""
    cleaned = _cleaner.clean(value or "")
    return bleach.linkify(cleaned, callbacks=[_external_links], parse_email=False)


def plain_text(value: str) -> str:
    """Strip every tag; what is left is escaped again by the template when shown."""
    stripped = bleach.clean(value or "", tags=set(), attributes={}, strip=True, strip_comments=True)
    return html.unescape(stripped).strip()
