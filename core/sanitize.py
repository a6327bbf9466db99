"""HTML from readers: plain text, or a small safe subset through bleach.

Used wherever a reader writes text that is shown to others (titles, descriptions, comments).
"""

import html
import re

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


_BLOCK_TAG = re.compile(r"<\s*(p|ul|ol|blockquote|pre)\b", re.IGNORECASE)


def formatted_text(value: str) -> str:
    """A reader's text as safe HTML that keeps the shape they typed.

    Readers type into a plain textarea: blank lines separate paragraphs and single line breaks
    stay line breaks, unless the text already brings its own paragraphs or lists (older works,
    the demo). The result is always passed through :func:`clean_html`.
    """
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if text and not _BLOCK_TAG.search(text):
        blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
        text = "".join("<p>" + block.replace("\n", "<br>") + "</p>" for block in blocks)
    return clean_html(text)
