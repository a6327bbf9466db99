"""Visitors' pages are kept whole and dropped exactly when what they show changes.

Each kind of change (a booking, a published or unpublished or moved page, an edited interview,
event, resource or menu link, a published work) is made the way staff or readers make it, and
the page that shows it must change at once while pages that do not show it are still served
from their copy (no database query at all).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import kept
from core.pagecache import HEADER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pages_kept(settings):
    settings.PAGE_CACHE_ENABLED = True


def visitor(**cookies) -> Client:
    client = Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def fetch(client: Client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(queries)


def served_from_copy(client: Client, url: str) -> bool:
    response, queries = fetch(client, url)
    hit = response[HEADER] == "hit"
    if hit:
        assert queries == 0, f"{url} was served from its copy but still queried the database"
    return hit


def warm(client: Client, *urls: str) -> None:
    for url in urls:
        first, _ = fetch(client, url)
        assert first[HEADER] == "miss", url
        assert not first.cookies, f"{url} set a cookie for a visitor: {list(first.cookies)}"
        assert served_from_copy(client, url), f"{url} was not kept"


@pytest.fixture
def events():
    from booking.tests.factories import EventFactory

    return EventFactory(title="剪纸讲座", capacity=3), EventFactory(title="摄影讲座", capacity=5)


@pytest.fixture
def interview():
    from oral_history.tests.factories import InterviewFactory

    return InterviewFactory(title="铁西老厂房")


def event_url(event) -> str:
    return reverse("booking:event", args=[event.pk])


def interview_url(item) -> str:
    return reverse("oral_history:interview", args=[item.pk])


# --- what is kept and what is not ---------------------------------------------------------------


def test_every_public_page_is_kept_without_a_cookie(demo_site, events, interview):
    from courses.tests.factories import course, lessons_of

    page = course(title="智能手机入门")
    client = visitor()
    warm(
        client,
        "/",
        page.get_parent().url,
        page.url,
        lessons_of(page)[0].url,
        reverse("oral_history:index"),
        interview_url(interview),
        reverse("makerspace:index"),
        reverse("booking:index"),
        event_url(events[0]),
        reverse("ugc:gallery"),
        reverse("search") + "?q=讲座",
    )


def test_a_signed_in_reader_is_never_served_or_the_source_of_a_copy(demo_site, events, user):
    url = event_url(events[0])
    reader = Client()
    reader.force_login(user)
    response, _ = fetch(reader, url)
    assert HEADER not in response
    # What the reader saw was not kept: the first visitor makes their own copy.
    first, _ = fetch(visitor(), url)
    assert first[HEADER] == "miss"
    again, _ = fetch(reader, url)
    assert HEADER not in again


def test_language_and_display_mode_each_have_their_own_copy(demo_site):
    chinese = visitor()
    english = visitor(django_language="en")
    large = visitor(liaotu_display="large_text")
    warm(chinese, "/")
    first_english, _ = fetch(english, "/")
    assert first_english[HEADER] == "miss"
    assert 'lang="en"' in first_english.content.decode()
    first_large, _ = fetch(large, "/")
    assert first_large[HEADER] == "miss"
    assert 'class="large-text"' in first_large.content.decode()
    assert served_from_copy(english, "/") and served_from_copy(large, "/")
    # An unknown display flag or language is the default, not a new copy per spelling.
    assert served_from_copy(visitor(liaotu_display="huge,large_text"), "/")
    assert served_from_copy(visitor(django_language="xx"), "/")


def test_a_session_or_waiting_messages_bypass_the_copies(demo_site):
    warm(visitor(), "/")
    for cookies in ({"sessionid": "anything"}, {"messages": "x"}):
        response, _ = fetch(visitor(**cookies), "/")
        assert HEADER not in response


def test_a_fragment_or_a_post_is_never_kept(demo_site, events):
    client = visitor()
    response = client.get(event_url(events[0]), HTTP_HX_REQUEST="true")
    assert HEADER not in response
    assert HEADER not in client.post(event_url(events[0]))


def test_a_copy_answers_a_conditional_get_with_304(demo_site):
    client = visitor()
    warm(client, "/")
    etag = client.get("/")["ETag"]
    assert etag
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/", HTTP_IF_NONE_MATCH='"not-it"').status_code == 200


def test_views_counted_on_a_page_are_counted_again_for_each_copy_served(demo_site, monkeypatch):
    from core.insight import services as insight
    from courses.tests.factories import course

    page = course(title="智能手机入门")
    sent: list[dict] = []
    monkeypatch.setattr(insight, "_send", sent.append)
    client = visitor()
    for _ in range(3):
        client.get(page.url)
    views = [values for values in sent if values["kind"] == "page.viewed"]
    assert len(views) == 3
    assert {str(values["subject_id"]) for values in views} == {str(page.pk)}
    assert len({values["occurred_at"] for values in views}) == 3


# --- exact invalidation ------------------------------------------------------------------------


def test_a_booking_changes_its_events_pages_at_once_and_no_other(
    demo_site, events, interview, user
):
    from booking import services

    booked, other = events
    client = visitor()
    warm(client, event_url(booked), event_url(other), interview_url(interview))
    assert "3 / 3" in client.get(event_url(booked)).content.decode()

    services.book_event(user=user, event=booked)

    response, _ = fetch(client, event_url(booked))
    assert response[HEADER] == "miss"
    assert "2 / 3" in response.content.decode()
    assert served_from_copy(client, event_url(other))
    assert served_from_copy(client, interview_url(interview))


def test_editing_an_event_changes_its_page_and_the_lists_showing_it(demo_site, events, interview):
    edited, other = events
    client = visitor()
    warm(
        client,
        event_url(edited),
        event_url(other),
        reverse("booking:index"),
        interview_url(interview),
    )
    edited.title = "剪纸讲座（改期）"
    edited.save()
    assert "剪纸讲座（改期）" in client.get(event_url(edited)).content.decode()
    assert served_from_copy(client, event_url(other))
    assert served_from_copy(client, interview_url(interview))


def test_editing_an_interview_changes_its_page_and_not_the_events(demo_site, events, interview):
    client = visitor()
    warm(client, interview_url(interview), event_url(events[0]))
    interview.title = "铁西老厂房（修订）"
    interview.save()
    assert "铁西老厂房（修订）" in client.get(interview_url(interview)).content.decode()
    assert served_from_copy(client, event_url(events[0]))


def test_a_resource_edit_changes_the_booking_list(demo_site, interview):
    from booking.tests.factories import ResourceFactory

    room = ResourceFactory(name="研讨室甲")
    client = visitor()
    warm(client, reverse("booking:index"), interview_url(interview))
    room.name = "研讨室乙"
    room.save()
    assert "研讨室乙" in client.get(reverse("booking:index")).content.decode()
    assert served_from_copy(client, interview_url(interview))


def test_publishing_unpublishing_and_moving_pages(demo_site, events):
    from courses.tests.factories import course, lessons_of

    page = course(title="智能手机入门")
    lesson = lessons_of(page)[0]
    client = visitor()
    warm(client, page.url, lesson.url, event_url(events[0]))

    revision = page.specific.save_revision()
    page.title = "智能手机入门（新版）"
    revision = page.save_revision()
    revision.publish()
    assert "智能手机入门（新版）" in client.get(page.url).content.decode()
    assert served_from_copy(client, event_url(events[0]))

    lesson.refresh_from_db()
    lesson.unpublish()
    assert lesson.title not in client.get(page.url).content.decode()
    assert client.get(lesson.url).status_code == 404

    # Moved: the old address now sends visitors on (Wagtail keeps a redirect), never the copy.
    second = lessons_of(page)[0]
    old_url = second.url
    warm(client, old_url)
    second.move(page.get_parent(), pos="last-child")
    second.refresh_from_db()
    assert second.url != old_url
    moved = client.get(old_url)
    assert moved.status_code in (301, 404) and HEADER not in moved
    # (Treebeard rewrites the paths of a moved branch in one statement that names no rows, so a
    # move drops every copy that read any page, menus included: rare, and never stale.)


def test_a_menu_link_changes_every_page(demo_site, events):
    from cms.models import NavigationItem

    client = visitor()
    warm(client, "/", event_url(events[0]))
    item = NavigationItem.objects.order_by("sort_order").first()
    item.label = "活动日历"
    item.save()
    for url in ("/", event_url(events[0])):
        assert "活动日历" in client.get(url).content.decode()


def test_a_published_work_shows_in_the_gallery(demo_site, user):
    from ugc.models import WorkState
    from ugc.tests.factories import make_work

    client = visitor()
    warm(client, reverse("ugc:gallery"))
    work = make_work(user, title="浑河晚霞")
    assert "浑河晚霞" not in client.get(reverse("ugc:gallery")).content.decode()
    work.state = WorkState.PUBLISHED
    from django.utils import timezone

    work.published_at = timezone.now()
    work.save()
    assert "浑河晚霞" in client.get(reverse("ugc:gallery")).content.decode()


def test_a_bulk_update_without_signals_still_drops_the_copies(demo_site, events):
    from booking.models import Event

    client = visitor()
    warm(client, event_url(events[0]))
    Event.objects.filter(capacity=3).update(capacity=30)
    assert "/ 30" in client.get(event_url(events[0])).content.decode()


def test_a_copy_made_while_a_write_landed_is_not_kept():
    with kept.make() as current:
        current.tags.add("booking_event#1")
        kept.change({"booking_event#1"})
    assert kept.settle(current) is None


def test_an_event_page_is_kept_no_longer_than_until_the_event_starts(demo_site):
    from datetime import timedelta

    from django.utils import timezone

    from booking.tests.factories import EventFactory

    soon = EventFactory(starts_at=timezone.now() + timedelta(seconds=30))
    with kept.make() as current:
        visitor().get(event_url(soon))
    assert 0 < kept.seconds_left(current, 600) <= 30


# --- the statement reader ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        (
            'SELECT * FROM "booking_event" WHERE "booking_event"."id" = %s',
            (5,),
            {"booking_event#5"},
        ),
        (
            'SELECT * FROM "booking_booking" WHERE ("booking_booking"."event_id" IN (%s, %s) AND '
            '"booking_booking"."status" = %s)',
            (5, 6, "confirmed"),
            {"booking_booking.event_id=5", "booking_booking.event_id=6"},
        ),
        (
            'SELECT * FROM "wagtailcore_page" WHERE ("wagtailcore_page"."id") IN ((%s), (%s))',
            (7, 8),
            {"wagtailcore_page#7", "wagtailcore_page#8"},
        ),
        # Anything but a plain conjunction reads the whole table.
        (
            'SELECT * FROM "booking_event" WHERE ("booking_event"."id" = %s OR '
            '"booking_event"."capacity" > %s)',
            (5, 1),
            {"booking_event"},
        ),
        (
            'SELECT * FROM "booking_event" WHERE NOT ("booking_event"."id" = %s)',
            (5,),
            {"booking_event"},
        ),
        (
            'SELECT * FROM "booking_event" WHERE "booking_event"."id" IN (SELECT '
            'U0."event_id" FROM "booking_booking" U0)',
            (),
            {"booking_event", "booking_booking"},
        ),
        ('SELECT * FROM "booking_event" WHERE "booking_event"."id" > %s', (5,), {"booking_event"}),
        # A joined table is read wholly.
        (
            'SELECT * FROM "booking_event" INNER JOIN "booking_location" ON (x) WHERE '
            '"booking_event"."id" = %s',
            (5,),
            {"booking_event#5", "booking_location"},
        ),
    ],
)
def test_readings_name_their_rows_only_when_plainly_narrowed(sql, params, expected):
    tags = kept.read_tags(sql, params)
    assert {tag for tag in tags if not tag.endswith("!")} == expected
    assert {tag for tag in tags if tag.endswith("!")} == {
        name.split("#")[0].split(".")[0] + "!" for name in expected
    }


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        (
            'INSERT INTO "booking_booking" ("event_id", "user_id") VALUES (%s, %s), (%s, '
            '%s) RETURNING "booking_booking"."id"',
            (5, 1, 6, 2),
            {
                "booking_booking",
                "booking_booking.event_id=5",
                "booking_booking.event_id=6",
                "booking_booking.user_id=1",
                "booking_booking.user_id=2",
            },
        ),
        # A row written with a default in it: the columns cannot be lined up, so the whole table.
        (
            'INSERT INTO "booking_booking" ("event_id", "user_id", "note") VALUES (%s, %s, '
            "DEFAULT), (%s, %s, DEFAULT), (%s, %s, DEFAULT)",
            (5, 1, 6, 2, 7, 3),
            {"booking_booking", "booking_booking!"},
        ),
        (
            'INSERT INTO "booking_booking" ("event_id", "user_id") VALUES (%s, %s) ON '
            "CONFLICT DO NOTHING",
            (5, 1),
            {"booking_booking", "booking_booking!"},
        ),
        (
            'UPDATE "booking_event" SET "capacity" = %s WHERE "booking_event"."id" = %s',
            (9, 5),
            {"booking_event", "booking_event#5"},
        ),
        (
            'UPDATE "booking_event" SET "capacity" = %s WHERE "booking_event"."capacity" = %s',
            (9, 5),
            {"booking_event", "booking_event!"},
        ),
        (
            'UPDATE "booking_event" SET "location_id" = ("booking_event"."resource_id") '
            'WHERE "booking_event"."id" = %s',
            (5,),
            {"booking_event", "booking_event#5", "booking_event!"},
        ),
        (
            'DELETE FROM "booking_event" WHERE "booking_event"."id" IN (%s, %s)',
            (5, 6),
            {"booking_event", "booking_event#5", "booking_event#6"},
        ),
        (
            'DELETE FROM "booking_event" WHERE ("booking_event"."id" = %s OR '
            '"booking_event"."id" = %s)',
            (5, 6),
            {"booking_event", "booking_event!"},
        ),
        ('TRUNCATE "booking_event"', (), {"booking_event", "booking_event!"}),
        ("SELECT 1", (), None),
    ],
)
def test_writes_name_what_they_change(sql, params, expected):
    write = kept.write_of(sql, params, False)
    assert (write.tags if write else None) == expected


def test_a_row_that_changes_event_drops_the_pages_of_both_events(events, user):
    from booking import services
    from booking.models import Booking

    first, second = events
    booking = services.book_event(user=user, event=first)
    with kept.make() as reading:
        list(Booking.objects.filter(event_id=second.pk))
    versions = kept.settle(reading)
    assert versions is not None
    Booking.objects.filter(pk=booking.pk).update(event=second)
    assert not kept.fresh(versions)


# --- the preference forms carry no token for visitors --------------------------------------------


def test_a_visitor_switches_language_and_display_without_a_token(demo_site):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("core:set-language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    response = client.post(
        reverse("core:display-preferences"), {"large_text": "on", "high_contrast": "", "next": "/"}
    )
    assert response.status_code == 302


def test_a_signed_in_reader_still_needs_the_token(demo_site, user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("core:set-language"), {"language": "en"}).status_code == 403
    assert client.post(reverse("core:display-preferences"), {"large_text": "on"}).status_code == 403
    user.refresh_from_db()
    assert user.language != "en" and not user.large_text
    page = client.get("/").content.decode()
    assert "csrfmiddlewaretoken" in page


def test_a_printer_sync_that_finds_nothing_new_keeps_the_pages(demo_site):
    from makerspace import services as farm
    from makerspace.models import PrinterState
    from makerspace.tests.factories import PrinterFactory

    printer = PrinterFactory(state=PrinterState.OPERATIONAL, state_text="Operational")
    client = visitor()
    warm(client, "/", reverse("makerspace:index"))
    same = farm.Observed(state=PrinterState.OPERATIONAL, text="Operational")
    farm.reconcile(printer, same)  # every few seconds: only the bookkeeping times change
    assert served_from_copy(client, "/")
    assert served_from_copy(client, reverse("makerspace:index"))
    farm.reconcile(printer, farm.Observed(state=PrinterState.PRINTING, text="Printing"))
    assert fetch(client, reverse("makerspace:index"))[0][HEADER] == "miss"


def test_an_update_of_only_quiet_columns_names_nothing():
    quiet = (
        'UPDATE "makerspace_printer" SET "synced_at" = %s, "last_seen_at" = %s '
        'WHERE "makerspace_printer"."id" = %s'
    )
    assert kept.write_of(quiet, ("t", "t", 5), False) is None
    loud = (
        'UPDATE "makerspace_printer" SET "state" = %s, "synced_at" = %s '
        'WHERE "makerspace_printer"."id" = %s'
    )
    assert "makerspace_printer#5" in kept.write_of(loud, ("printing", "t", 5), False).tags


@pytest.mark.parametrize("backend", ["filebased", "locmem"])
def test_the_clock_outlives_the_caches_default_timeout(backend, tmp_path, monkeypatch):
    """make run keeps copies in files: Django's file cache re-sets a key's lifetime on every
    increment, and a clock that expired restarted below the versions it had handed out."""
    import time

    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache

    store = (
        FileBasedCache(str(tmp_path), {"TIMEOUT": 1})
        if backend == "filebased"
        else LocMemCache(f"clock-{tmp_path.name}", {"TIMEOUT": 1})
    )
    monkeypatch.setattr(kept, "store", lambda: store)
    kept.change({"booking_event#1"})
    seen = kept.versions({"booking_event#1"})["booking_event#1"]
    time.sleep(1.5)
    with kept.make() as current:
        current.tags.add("booking_event#1")
    assert kept.clock() >= seen
    assert kept.settle(current) is not None
    kept.change({"booking_event#2"})
    assert kept.versions({"booking_event#2"})["booking_event#2"] > seen


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO core_searchentry (kind, source) VALUES (%s, now()) ON CONFLICT DO NOTHING",
        "UPDATE core_searchentry SET title = %s WHERE id = %s",
        "delete from core_searchentry where source = %s",
    ],
)
def test_hand_written_writes_with_unquoted_names_are_read(sql):
    write = kept.write_of(sql, ["x", 5], False)
    assert write is not None and {"core_searchentry", "core_searchentry!"} <= write.tags


def test_a_writing_with_statement_names_every_table_in_it():
    moved = (
        'WITH moved AS (DELETE FROM "insight_default" WHERE occurred_at < %s RETURNING *) '
        'INSERT INTO "insight_archive" SELECT * FROM moved'
    )
    assert kept._WRITING_CTE.search(moved)
    assert kept.write_of(moved, ["t"], False).tags == {
        "insight_default", "insight_default!", "insight_archive", "insight_archive!",
    }  # fmt: skip
    assert not kept._WRITING_CTE.search("WITH taken AS (SELECT 1) SELECT * FROM taken")
