"""``{% shared "name" page %}…{% endshared %}``: a part of a page that every reader sees alike,
rendered once and kept until a row it shows changes (core.kept).

Why: a signed-in reader's page is made for them alone, so it is never kept whole; but most of
it (the home page's events, paths, works and archive highlights) is the same for everybody, and
rendering it cost more than the reader's own parts. The part is kept as HTML under its name,
the values after the name (``page`` names the page's rows too), the language and the display
mode, and dropped exactly as kept pages are: by the rows read while it was rendered.

What the part shows must be read inside it (a lazy value, a kept selector); a value read before
the tag would not be seen as a dependency. A part that used a CSRF token (a form for signed-in
readers) is never kept.
"""

from __future__ import annotations

import hashlib

from django import template
from django.db.models import Model
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core import kept

register = template.Library()

# A part is kept at most this long even if nothing it shows changes (as kept pages are).
SECONDS = 600


def _row_tags(instance: Model) -> list[str]:
    """The tables an instance's fields live in (each parent of a Wagtail page), by its key."""
    meta = instance._meta
    models = [instance.__class__, *meta.get_parent_list()]
    return [f"{model._meta.db_table}#{instance.pk}" for model in models if not model._meta.proxy]


class SharedNode(template.Node):
    def __init__(self, name, vary, nodelist):
        self.name = name
        self.vary = vary
        self.nodelist = nodelist

    def render(self, context) -> str:
        values = [self.name.resolve(context), *(value.resolve(context) for value in self.vary)]
        rows = [tag for value in values if isinstance(value, Model) for tag in _row_tags(value)]
        display = context.get("display")
        parts = [
            *(f"{value._meta.label}#{value.pk}" if isinstance(value, Model) else str(value)
              for value in values),
            get_language() or "",
            getattr(display, "css_classes", "") or "",
        ]  # fmt: skip
        key = "shared:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        request = context.get("request")
        if getattr(request, "is_preview", False):
            # An editor's preview shows the draft, never the live page's kept part.
            return self.nodelist.render(context)

        def render() -> str:
            kept.depends_on(*rows)
            meta = request.META if request is not None else {}
            before = meta.pop("CSRF_COOKIE_NEEDS_UPDATE", None)
            try:
                html = self.nodelist.render(context)
                if meta.get("CSRF_COOKIE_NEEDS_UPDATE"):
                    kept.not_kept()
            finally:
                if before:
                    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
            return str(html)

        return mark_safe(kept.kept(key, render, seconds=SECONDS))  # noqa: S308 (rendered here)


@register.tag("shared")
def shared(parser, token) -> SharedNode:
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% shared %} needs a name")
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    return SharedNode(
        parser.compile_filter(bits[0]), [parser.compile_filter(bit) for bit in bits[1:]], nodelist
    )
