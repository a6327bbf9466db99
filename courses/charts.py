"""Small server-rendered SVG bar charts: no JavaScript, readable by screen readers (each chart
has a title, and the page shows the same numbers in a table)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = 26
LABEL_WIDTH = 220
WIDTH = 560


def bar_chart(rows: list[tuple[str, float]], *, title: str, unit: str = "") -> SafeString:
    if not rows:
        return mark_safe("")
    top = max(value for _label, value in rows) or 1
    height = BAR * len(rows) + 10
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for n, (label, value) in enumerate(rows):
        y = n * BAR + 5
        length = (WIDTH - LABEL_WIDTH - 60) * value / top
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(short)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{BAR - 8}" '
            f'fill="#8a1c1c"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}" font-size="13">'
            f"{value:g}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
