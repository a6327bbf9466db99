"""The statistics pages in the Wagtail admin, with their CSV and XLSX downloads."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.sanitize import plain_text

from . import services
from .dashboards import DASHBOARDS, Dashboard, Table, allowed
from .forms import FilterForm


def _dashboard(request: HttpRequest, code: str) -> Dashboard:
    dashboard = DASHBOARDS.get(code)
    if dashboard is None:
        raise Http404
    if not allowed(request.user, dashboard):
        raise PermissionDenied
    return dashboard


def index(request: HttpRequest) -> HttpResponse:
    shown = [d for d in DASHBOARDS.values() if allowed(request.user, d)]
    if not shown:
        raise PermissionDenied
    return render(request, "insight/admin/index.html", {"dashboards": shown})


def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    from courses.charts import bar_chart

    board = _dashboard(request, code)
    form = FilterForm(request.GET)
    filters = form.filters()
    tables = board.build(filters)
    fmt = request.GET.get("format", "")
    if fmt == "csv":
        return _csv(board, filters, tables)
    if fmt == "xlsx":
        return _xlsx(board, filters, tables)
    if fmt:
        raise Http404
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "insight/admin/dashboard.html",
        {
            "board": board,
            "form": form,
            "filters": filters,
            "sections": [
                (table, bar_chart(table.chart_rows(), title=table.title)) for table in tables
            ],
            "query": query.urlencode(),
            "rolled_until": services.rolled_until(),
        },
    )


def _filename(board: Dashboard, filters, ext: str) -> str:
    """The dashboard, the period and the filters (their codes), so that two downloads of the
    same dashboard with different filters are told apart."""
    narrowed = "".join(
        f"-{name}-{slugify(getattr(filters, name))}"
        for name in ("location", "audience", "district")
        if getattr(filters, name)
    )
    return f"liaotu-{board.code}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}{narrowed}.{ext}"


def _filter_words(filters) -> list[str]:
    """The filters as the page's form names them ("人群: 老年人"), for the download's header."""
    from accounts.models import AudienceGroup, District
    from booking.models import Location

    words = []
    if filters.location:
        found = filters.location.isdigit() and Location.objects.filter(pk=filters.location).first()
        words.append(f"{_('Location')}: {found or filters.location}")
    for name, label, choices in (
        ("audience", _("Audience group"), AudienceGroup.choices),
        ("district", _("District"), District.choices),
    ):
        code = getattr(filters, name)
        if code:
            words.append(f"{label}: {dict(choices).get(code, code)}")
    return words


def _cell(value):
    """What a spreadsheet shows: text that starts like a formula is kept as text."""
    if isinstance(value, str):
        value = plain_text(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def _csv(board: Dashboard, filters, tables: list[Table]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _cell(str(board.title)),
            f"{filters.start:%Y-%m-%d}",
            f"{filters.end:%Y-%m-%d}",
            *[_cell(word) for word in _filter_words(filters)],
        ]
    )
    for table in tables:
        writer.writerow([])
        writer.writerow([_cell(table.title)])
        writer.writerow([_cell(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([_cell(v) for v in row])
    # A byte-order mark, so that spreadsheet programs on Windows read the Chinese as UTF-8.
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(board, filters, "csv")}"'
    return response


def _xlsx(board: Dashboard, filters, tables: list[Table]) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used = set()
    for n, table in enumerate(tables, start=1):
        # Sheet names: at most 31 characters, none of []:*?/\ , unique.
        name = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:28] or str(n)
        if name in used:
            name = f"{name[:25]}-{n}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([_cell(c) for c in table.columns])
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(board, filters, "xlsx")}"'
    return response


def summary(request: HttpRequest) -> HttpResponse:
    """The month's figures of every dashboard on one printable page (annual statistics)."""
    import datetime as dt

    from django.utils import timezone

    from .dashboards import Filters

    if not request.user.has_perm("insight.view_statistics"):
        raise PermissionDenied
    today = timezone.localdate()
    default = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    raw = request.GET.get("month", default)
    error = ""
    try:
        first = dt.datetime.strptime(raw, "%Y-%m").date()
        # A month the library could have figures for (also keeps date arithmetic in range).
        if not 2000 <= first.year <= today.year:
            raise ValueError(raw)
    except ValueError:
        error = _("Enter a month as year and month, e.g. %(example)s; showing %(example)s.") % {
            "example": default
        }
        first = dt.datetime.strptime(default, "%Y-%m").date()
    following = (first + dt.timedelta(days=32)).replace(day=1)
    filters = Filters(start=first, end=following - dt.timedelta(days=1))
    boards = [(board, board.build(filters)[0]) for board in DASHBOARDS.values()]
    return render(
        request,
        "insight/admin/summary.html",
        {"month": first, "boards": boards, "title": _("Monthly summary"), "error": error},
    )
