"""The staff dashboards: each role sees its own, the numbers are the roll-ups', the downloads
hold exactly what the page shows, and hostile text stays text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from booking.tests.factories import staff_member
from core.insight import services
from core.insight.tests.factories import bookings_activity, roll_up_recent

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(staff_member(role))
    return client


URL = reverse("insight_dashboard", args=["bookings"])


def test_each_role_sees_the_dashboards_of_its_work():
    readers, moderator, technician, librarian = (
        Client(),
        _client(roles.MODERATOR),
        _client(roles.TECHNICIAN),
        _client(roles.LIBRARIAN_ADMIN),
    )
    readers.force_login(UserFactory())
    assert readers.get(URL).status_code in (302, 403)
    # Wagtail sends staff without the permission back to the dashboard, with a message.
    refused = moderator.get(URL)
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")
    assert moderator.get(reverse("insight_dashboard", args=["works"])).status_code == 200
    assert technician.get(URL).status_code == 200
    assert technician.get(reverse("insight_dashboard", args=["makerspace"])).status_code == 200
    assert technician.get(reverse("insight_summary")).status_code == 302
    for code in ("bookings", "learning", "makerspace", "archive", "works", "site"):
        assert librarian.get(reverse("insight_dashboard", args=[code])).status_code == 200
    assert librarian.get(reverse("insight_dashboard", args=["nothing"])).status_code == 404
    index = moderator.get(reverse("insight_index")).content.decode()
    assert "读者作品" in index and "预约与活动" not in index


def test_the_bookings_dashboard_shows_the_rolled_up_numbers_in_chinese():
    bookings_activity()
    html = _client(roles.TECHNICIAN).get(URL).content.decode()
    assert "讲座0" in html and "讲座1" in html
    assert "活动已满" in html  # the refusals, by their reason
    assert "<svg" in html and "<caption" in html
    # The outcomes table: two places, one no-show (50 %).
    assert re.search(r"未到场[^<]*</th><td>1</td><td>50.0</td>", html)


def test_the_downloads_hold_exactly_the_tables_shown():
    bookings_activity()
    client = _client(roles.TECHNICIAN)
    html = client.get(URL).content.decode()
    response = client.get(URL, {"format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="liaotu-bookings-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    shown = re.findall(r"<h2 id=\"table-\d+\">([^<]+)</h2>", html)
    titles = [row[0] for n, row in enumerate(rows) if n > 0 and rows[n - 1] == []]
    assert titles == shown
    # Each table of the CSV, row by row, is a sheet of the XLSX.
    sections, current = [], None
    for row in rows[1:]:
        if row == []:
            current = None
        elif current is None:
            current = []
            sections.append(current)
        else:
            current.append(row)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(URL, {"format": "xlsx"}).content))
    assert len(book.sheetnames) == len(shown) == len(sections)

    def same(value):
        """A number is the same number whether CSV text or a spreadsheet cell."""
        try:
            return float(value)
        except (TypeError, ValueError):
            return "" if value is None else str(value)

    for sheet, section in zip(book.worksheets, sections, strict=True):
        cells = [[same(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        assert cells == [[same(c) for c in row] for row in section]
    # The numbers are the page's: two places taken, one no-show.
    assert ["未到场（爽约）", "1", "50.0"] in sections[0]
    assert client.get(URL, {"format": "pdf"}).status_code == 404


def test_text_that_looks_like_a_formula_stays_text_in_the_downloads():
    services.record("site.searched", term='=HYPERLINK("http://x","y")')
    services.record("site.searched", term="@SUM(1)")
    roll_up_recent()
    client = _client(roles.LIBRARIAN_ADMIN)
    site = reverse("insight_dashboard", args=["site"])
    text = client.get(site, {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=hyperlink" in text and "'@sum(1)" in text
    assert "\n=hyperlink" not in text and ",=hyperlink" not in text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(site, {"format": "xlsx"}).content))
    values = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "@")) for v in values)
    html = client.get(site).content.decode()
    assert "=hyperlink(&quot;http://x&quot;" in html  # shown escaped, as text


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("2026-05-02", "2026-05-01", "结束"), ("2024-01-01", "2026-01-01", "366")],
)
def test_a_wrong_period_is_explained_and_the_last_30_days_are_shown(start, end, message):
    html = _client(roles.TECHNICIAN).get(URL, {"start": start, "end": end}).content.decode()
    assert message in html
    today = timezone.localdate()
    assert f"{today - dt.timedelta(days=29):%Y-%m-%d}" in html


def test_filters_narrow_the_numbers_and_queries_stay_flat_as_subjects_grow():
    events = bookings_activity(events=2)
    client = _client(roles.TECHNICIAN)
    from booking.tests.factories import LocationFactory

    other = client.get(URL, {"location": str(LocationFactory().pk)}).content.decode()
    assert "讲座0" not in other
    mine = client.get(URL, {"location": str(events[0].location_id)}).content.decode()
    assert "讲座0" in mine and "讲座1" not in mine
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    bookings_activity(events=12)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)
    # A location that does not exist is refused with a message, not shown as empty figures.
    unknown = client.get(URL, {"location": "999999"}).content.decode()
    assert "999999" in unknown and "选择" in unknown


def test_the_monthly_summary_prints_every_dashboards_headline_table():
    bookings_activity()
    month = timezone.localdate().strftime("%Y-%m")
    html = (
        _client(roles.LIBRARIAN_ADMIN)
        .get(reverse("insight_summary"), {"month": month})
        .content.decode()
    )
    for title in ("预约与活动", "学习", "创客空间", "辽海往事口述档案", "读者作品", "网站"):
        assert title in html
    assert (
        _client(roles.LIBRARIAN_ADMIN).get(reverse("insight_summary"), {"month": "x"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")]
)
def test_a_period_out_of_range_is_explained_not_a_server_error(start, end):
    answer = _client(roles.TECHNICIAN).get(URL, {"start": start, "end": end})
    assert answer.status_code == 200
    assert "请选择 2000 年至今天之间的时段。" in answer.content.decode()


@pytest.mark.parametrize("month", ["x", "2025-13", "9999-12", "0001-01", "2026-1-1", "2026/11"])
def test_a_month_that_is_not_one_is_explained_and_the_last_month_shown(month):
    answer = _client(roles.LIBRARIAN_ADMIN).get(reverse("insight_summary"), {"month": month})
    assert answer.status_code == 200
    html = answer.content.decode()
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert f"请按年月输入，例如 {last}" in html
    assert f'value="{last}"' in html


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2026, 10, 31), dt.date(2026, 12, 1)),  # a day, a whole month, a day
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),  # exactly one month
        (dt.date(2026, 11, 2), dt.date(2026, 11, 29)),  # inside one month
        (dt.date(2026, 10, 1), dt.date(2026, 12, 2)),  # two whole months and two days
        (dt.date(2026, 11, 30), dt.date(2026, 12, 1)),  # across a month end, no whole month
    ],
)
def test_a_period_counts_whole_months_and_the_days_at_its_ends_exactly_once(start, end):
    from core.insight import dashboards, partitions
    from core.insight.tests.test_record import at

    days = (
        [dt.date(2026, 10, d) for d in (1, 30, 31)]
        + [dt.date(2026, 11, d) for d in (1, 2, 15, 29, 30)]
        + [dt.date(2026, 12, d) for d in (1, 2, 3)]
    )
    partitions.ensure_months(around=at(2026, 11, 1), back=1, ahead=2)
    for n, day in enumerate(days, start=1):
        for _ in range(n):  # a different number of searches each day
            services.record("site.searched", term=f"词{n}", at=at(day.year, day.month, day.day, 10))
    services.roll_up_range(at(2026, 10, 1), at(2026, 12, 4))
    expected = sum(n for n, day in enumerate(days, start=1) if start <= day <= end)
    found = dashboards.totals(dashboards.Filters(start, end), ["site.searched"])
    assert found[("site.searched", "")]["events"] == expected
    words = dashboards.site(dashboards.Filters(start, end))[1].rows
    assert words == sorted(
        ([f"词{n}", n] for n, day in enumerate(days, start=1) if start <= day <= end),
        key=lambda row: -row[1],
    )


def test_the_learning_dashboard_shows_each_courses_funnel_in_reading_order():
    from django.utils import translation

    from core.insight import dashboards
    from courses.tests.factories import course, lessons_of, path_with

    taught = course(title="智能手机入门")
    other = course(title="网上挂号")
    path_with(taught, other)
    lessons = lessons_of(taught)
    assert len(lessons) == 2
    readers = [UserFactory(), UserFactory()]
    for reader in readers:
        services.record("course.enrolled", user=reader, subject=taught)
    for reader in readers:
        services.record("lesson.viewed", user=reader, subject=lessons[0])
        services.record("lesson.completed", user=reader, subject=lessons[0])
    # The second lesson is reached by one, and opened twice by them.
    services.record("lesson.viewed", user=readers[0], subject=lessons[1])
    services.record("lesson.viewed", user=readers[0], subject=lessons[1])
    services.record("lesson.completed", user=readers[0], subject=lessons[1])
    roll_up_recent()
    today = timezone.localdate()
    with translation.override("zh-hans"):
        tables = dashboards.learning(dashboards.Filters(today - dt.timedelta(days=1), today))
    [funnel] = [t for t in tables if t.title == "“智能手机入门”的学习漏斗"]
    [paths] = [t for t in tables if t.title == "按学习路径"]
    assert paths.rows == [["老年人智能手机入门", 2, 0, 0.0]]
    assert funnel.rows == [
        [lessons[0].title, 2, 2, 100.0],
        [lessons[1].title, 2, 1, 50.0],
    ]
    assert [row[0] for row in funnel.rows] == [lesson.title for lesson in lessons]


def test_a_filtered_download_says_which_filters_it_holds():
    bookings_activity()
    client = _client(roles.TECHNICIAN)
    response = client.get(URL, {"format": "csv", "audience": "senior", "district": "hunnan"})
    name = response["Content-Disposition"]
    assert name.endswith('-audience-senior-district-hunnan.csv"')
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "人群: 老年人" in header and "所在地区: 浑南区" in header
    plain = client.get(URL, {"format": "xlsx"})["Content-Disposition"]
    assert re.search(r'filename="liaotu-bookings-\d{8}-\d{8}\.xlsx"', plain)
