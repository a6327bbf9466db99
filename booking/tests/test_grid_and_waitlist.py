"""What readers used to trip over: refusals that lost the day, waiting for free slots, cancelled
bookings shown as coming up, and moving through a raw date field. The grid and the move grid
only lead to the same services, so every rule still applies."""

from datetime import time

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory, sign_in
from booking import selectors, services
from booking.models import Booking, BookingStatus, Closure, Qualification, WaitlistEntry
from booking.services import BookingRefused

from .factories import EventFactory, LocationFactory, ResourceFactory, local

pytestmark = pytest.mark.django_db


def _day(days: int) -> str:
    return local(days, 0).date().isoformat()


# --- Refusals keep the day and say what would work -------------------------------------------


def test_a_refused_booking_stays_on_the_chosen_day_and_names_the_rule(
    reader_client, other_user, studio
):
    services.book_resource(
        user=other_user, resource=studio, starts_at=local(3, 10), ends_at=local(3, 11)
    )
    answer = reader_client.post(
        f"/booking/r/{studio.slug}/book/",
        {"start": f"{_day(3)}T10:00", "duration": "60", "date": _day(3)},
    )
    assert answer.status_code == 409
    html = answer.content.decode()
    assert answer.context["day"] == local(3, 0).date()
    assert f'<option value="{_day(3)}" selected>' in html
    assert "规则：时间已被占用" in html and "已被预约" in html
    # What would work: the free starts closest to the one refused, same length, as links.
    suggested = [start.strftime("%H:%M") for start in answer.context["refusal"]["suggestions"]]
    assert suggested == ["08:30", "09:00", "11:00", "11:30"]
    assert f"?date={_day(3)}&amp;start=11:00&amp;duration=60" in html
    assert answer.context["refusal"]["code"] == "conflict"


def test_a_form_without_a_start_also_keeps_the_day(reader_client, studio):
    answer = reader_client.post(
        f"/booking/r/{studio.slug}/book/", {"duration": "60", "date": _day(4)}
    )
    assert answer.status_code == 400
    assert answer.context["day"] == local(4, 0).date()
    assert "请选择一个可预约的开始时间" in answer.content.decode()


def test_a_refusal_outside_the_rules_names_the_rule_without_suggesting_times(reader_client, studio):
    answer = reader_client.post(
        f"/booking/r/{studio.slug}/book/", {"start": f"{_day(2)}T10:00", "duration": "60"}
    )
    assert answer.status_code == 302
    again = reader_client.post(
        f"/booking/r/{studio.slug}/book/", {"start": f"{_day(2)}T09:00", "duration": "240"}
    )
    # 240 minutes is not one of the lengths offered: the form refuses it, the day stays.
    assert again.status_code == 400 and again.context["day"] == local(2, 0).date()


# --- Waiting lists: only for what is taken, with a position ----------------------------------


def test_waiting_for_a_free_slot_is_refused_with_its_own_code(user, studio):
    with pytest.raises(BookingRefused) as caught:
        services.join_waitlist(
            user=user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
        )
    assert caught.value.code == "slot_free"
    assert caught.value.message == "这个时间还空着，请直接预约，无需候补。"
    assert not WaitlistEntry.objects.exists()


def test_waiting_for_an_event_with_places_left_is_refused(user):
    event = EventFactory(capacity=2)
    services.book_event(user=UserFactory(), event=event)
    with pytest.raises(BookingRefused) as caught:
        services.join_waitlist(user=user, event=event)
    assert caught.value.code == "not_full"
    assert not WaitlistEntry.objects.exists()


def test_the_page_refuses_to_wait_for_a_free_slot_and_keeps_the_day(reader_client, studio):
    answer = reader_client.post(
        f"/booking/r/{studio.slug}/book/",
        {"waitlist": f"{_day(5)}T10:00", "duration": "60", "date": _day(5)},
    )
    assert answer.status_code == 409
    assert answer.context["day"] == local(5, 0).date()
    html = answer.content.decode()
    assert "规则：候补名单" in html and "请直接预约" in html
    assert "您已在候补名单上" not in html
    assert f"?date={_day(5)}&amp;start=10:00&amp;duration=60" in html  # the slot itself works
    assert not WaitlistEntry.objects.exists() and not Booking.objects.exists()


def test_only_taken_slots_offer_the_waiting_list(reader_client, other_user, studio):
    services.book_resource(
        user=other_user, resource=studio, starts_at=local(2, 9), ends_at=local(2, 10)
    )
    html = reader_client.get(f"/booking/r/{studio.slug}/?date={_day(2)}").content.decode()
    assert f'name="waitlist" value="{_day(2)}T09:00"' in html
    assert f'name="waitlist" value="{_day(2)}T10:00"' not in html
    assert 'name="start" id' not in html.split(f"{_day(2)}T09:00")[0].rsplit("<div", 1)[-1]


def test_a_reader_cannot_wait_for_their_own_booking(reader_client, user, studio):
    services.book_resource(user=user, resource=studio, starts_at=local(2, 9), ends_at=local(2, 10))
    html = reader_client.get(f"/booking/r/{studio.slug}/?date={_day(2)}").content.decode()
    assert "您的预约" in html
    assert f'name="waitlist" value="{_day(2)}T09:00"' not in html
    with pytest.raises(BookingRefused) as caught:
        services.join_waitlist(
            user=user, resource=studio, starts_at=local(2, 9), ends_at=local(2, 10)
        )
    assert caught.value.code == "already_booked"


def test_readers_see_their_place_in_the_queue(client, user, other_user, studio):
    holder = UserFactory()
    services.book_resource(
        user=holder, resource=studio, starts_at=local(2, 9), ends_at=local(2, 10)
    )
    assert sign_in(client, other_user.email)
    client.post(
        f"/booking/r/{studio.slug}/book/",
        {"waitlist": f"{_day(2)}T09:00", "duration": "60", "date": _day(2)},
    )
    client.logout()
    assert sign_in(client, user.email)
    joined = client.post(
        f"/booking/r/{studio.slug}/book/",
        {"waitlist": f"{_day(2)}T09:00", "duration": "60", "date": _day(2)},
        follow=True,
    )
    html = joined.content.decode()
    assert "候补第 2 位" in html
    first = WaitlistEntry.objects.get(user=other_user)
    assert selectors.waitlist_position(first) == 1
    event = EventFactory(capacity=1)
    services.book_event(user=holder, event=event)
    services.join_waitlist(user=other_user, event=event)
    services.join_waitlist(user=user, event=event)
    assert "您是候补第 2 位" in client.get(f"/booking/events/{event.pk}/").content.decode()
    # Another room at the same hour is a queue of its own, where this reader is first.
    other_room = ResourceFactory(kind=studio.kind, location=studio.location)
    services.book_resource(
        user=holder, resource=other_room, starts_at=local(2, 9), ends_at=local(2, 10)
    )
    services.join_waitlist(
        user=user, resource=other_room, starts_at=local(2, 9), ends_at=local(2, 10)
    )
    with CaptureQueriesContext(connection) as read:
        places = {
            entry.event_id or entry.resource_slug: entry.position
            for entry in selectors.waiting_lines_of(user=user, now=timezone.now())
        }
    assert places == {studio.slug: 2, event.pk: 2, other_room.slug: 1}
    assert len(read) == 1  # however many queues the reader is in
    theirs = selectors.waiting_lines_of(user=other_user, now=timezone.now())
    assert sorted(e.position for e in theirs) == [1, 1]
    mine = client.get("/booking/mine/").content.decode()
    assert mine.count("候补第 2 位") == 2 and mine.count("候补第 1 位") == 1


def test_an_offer_skips_a_reader_whose_training_lapsed(user, other_user):
    training = Qualification.objects.create(name="激光切割安全培训")
    cutter = ResourceFactory(kind="equipment", required_qualification=training)
    for reader in (user, other_user):
        services.grant_qualification(user=reader, qualification=training, expires_at=None)
    holder = UserFactory()
    services.grant_qualification(user=holder, qualification=training, expires_at=None)
    taken = services.book_resource(
        user=holder, resource=cutter, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    services.join_waitlist(user=user, resource=cutter, starts_at=local(2, 10), ends_at=local(2, 11))
    services.join_waitlist(
        user=other_user, resource=cutter, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    user.qualifications.all().delete()

    services.cancel_booking(booking=taken, by=holder)

    assert user.waitlist_entries.get().status == "skipped"
    assert Booking.objects.get(resource=cutter, status=BookingStatus.OFFERED).user == other_user


# --- My bookings -------------------------------------------------------------------------------


def test_cancelled_bookings_are_not_coming_up(reader_client, user, studio):
    kept = services.book_resource(
        user=user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    dropped = services.book_resource(
        user=user, resource=studio, starts_at=local(3, 10), ends_at=local(3, 11)
    )
    services.cancel_booking(booking=dropped, by=user)
    assert list(selectors.upcoming_bookings_of(user=user)) == [kept]
    page = reader_client.get("/booking/mine/")
    assert [line.pk for line in page.context["upcoming"]] == [kept.pk]
    assert dropped.pk in [line.pk for line in page.context["past"]]
    (line,) = page.context["upcoming"]
    assert (line.subject_title, line.location_name) == (studio.name, studio.location.name)
    html = page.content.decode()
    coming_up = html.split("即将到来")[1].split("以往及已取消的预约")[0]
    assert str(kept.pk) in coming_up and str(dropped.pk) not in coming_up


def test_the_feed_address_is_a_readonly_field_with_a_copy_button(reader_client, user):
    feed = services.reset_feed(user=user)
    html = reader_client.get("/booking/mine/").content.decode()
    assert 'id="feed-url" class="feed-url" type="text" readonly value="http' in html
    assert feed.token in html
    assert 'data-copy-target="feed-url"' in html and "复制地址" in html
    assert f"webcal://testserver/booking/feed/{feed.token}.ics" in html or "webcal://" in html


def test_one_booking_downloads_as_a_published_calendar_event(reader_client, user, studio):
    booking = services.book_resource(
        user=user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    detail = reader_client.get(f"/booking/b/{booking.pk}/").content.decode()
    assert f"/booking/b/{booking.pk}/booking.ics" in detail and "下载到日历" in detail
    answer = reader_client.get(f"/booking/b/{booking.pk}/booking.ics")
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert calendar["method"] == "PUBLISH"
    (entry,) = calendar.walk("VEVENT")
    assert entry["uid"] == f"{booking.pk}@liaotu-commons"


# --- The grid ----------------------------------------------------------------------------------


def test_the_day_grid_shows_rooms_against_times_with_text_states(client, user):
    location = LocationFactory(hours=(time(9), time(12)))
    small = ResourceFactory(name="小研讨室", location=location)
    ResourceFactory(name="大研讨室", location=location, min_duration_minutes=60)
    services.book_resource(user=user, resource=small, starts_at=local(2, 10), ends_at=local(2, 11))
    closed = ResourceFactory(name="闭馆室", location=LocationFactory())
    Closure.objects.create(
        location=closed.location, first_day=local(2, 0).date(), last_day=local(2, 0).date(),
        reason="盘点",
    )  # fmt: skip
    page = client.get(f"/booking/grid/?kind=space&date={_day(2)}")
    assert page.status_code == 200
    table = page.context["table"]
    names = [row.resource.name for row in table.rows]
    assert names == ["大研讨室", "小研讨室", "闭馆室"]
    # Clipped at closing: the 60-minute room has no 11:30 start, the 30-minute one does.
    assert table.columns[0] == "09:00" and table.columns[-1] == "11:30"
    big, little, shut = table.rows
    assert shut.closure == "盘点" and "闭馆：盘点" in page.content.decode()
    assert big.cells[-1] is None and little.cells[-1].state == "free"
    assert [cell.state for cell in little.cells[2:4]] == ["taken", "taken"]
    html = page.content.decode()
    assert "已预约" in html
    assert f"/booking/r/{small.slug}/?date={_day(2)}&amp;start=11:30" in html
    partial = client.get(
        f"/booking/grid/?kind=space&date={_day(2)}", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial
    assert 'id="grid-heading" tabindex="-1" autofocus' in partial
    assert 'id="grid-status" hx-swap-oob="innerHTML"' in partial


def test_moving_on_the_grid_goes_through_the_rules(reader_client, user, other_user, studio):
    booking = services.book_resource(
        user=user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    services.book_resource(
        user=other_user, resource=studio, starts_at=local(2, 14), ends_at=local(2, 15)
    )
    grid = reader_client.get(f"/booking/grid/?move={booking.pk}")
    assert grid.status_code == 200
    html = grid.content.decode()
    assert f'name="start" value="{_day(2)}T15:00"' in html
    assert f'name="start" value="{_day(2)}T14:00"' not in html  # taken
    assert f'name="start" value="{_day(2)}T20:30"' not in html  # would end after closing
    assert "当前时间" in html

    clash = reader_client.post(
        f"/booking/b/{booking.pk}/move/", {"start": f"{_day(2)}T13:30", "date": _day(2)}
    )
    assert clash.status_code == 409
    assert clash.context["refusal"]["code"] == "conflict"
    assert "规则：时间已被占用" in clash.content.decode()
    assert clash.context["day"] == local(2, 0).date()
    too_far = reader_client.post(
        f"/booking/b/{booking.pk}/move/", {"start": f"{_day(30)}T10:00", "date": _day(2)}
    )
    assert too_far.status_code == 409 and too_far.context["refusal"]["code"] == "window"
    booking.refresh_from_db()
    assert booking.starts_at == local(2, 10)

    moved = reader_client.post(
        f"/booking/b/{booking.pk}/move/", {"start": f"{_day(2)}T15:00", "date": _day(2)}
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at) == (local(2, 15), local(2, 16))


def test_others_cannot_open_a_move_grid(client, user, other_user, studio):
    booking = services.book_resource(
        user=user, resource=studio, starts_at=local(2, 10), ends_at=local(2, 11)
    )
    assert sign_in(client, other_user.email)
    assert client.get(f"/booking/grid/?move={booking.pk}").status_code == 404
    assert client.get("/booking/grid/?move=not-a-uuid").status_code == 404
    client.logout()
    assert client.get(f"/booking/grid/?move={booking.pk}").status_code == 302


def test_the_week_grid_of_one_resource_has_seven_days(client, studio):
    page = client.get(f"/booking/grid/?resource={studio.slug}")
    rows = page.context["table"].rows
    assert [row.day for row in rows] == [local(n, 0).date() for n in range(7)]
    assert page.context["span"] == "week"


def test_earlier_bookings_come_a_page_at_a_time(reader_client, user):
    made = []
    for n in range(23):
        booking = services.book_event(user=user, event=EventFactory(title=f"讲座{n:02d}"))
        services.cancel_booking(booking=booking, by=user)
        made.append(booking)

    def shown(query: str) -> set:
        page = reader_client.get("/booking/mine/" + query)
        return {line.pk for line in page.context["past"]}, page.content.decode()

    first, html = shown("")
    second, _ = shown("?page=2")
    assert len(first) == 20 and len(second) == 3 and first | second == {b.pk for b in made}
    assert 'href="?page=2"' in html
    # Hostile or out-of-range page numbers give a real page, as Django's paginator does.
    assert shown("?page=99")[0] == second and shown("?page=abc")[0] == first
    assert shown("?page=-1")[0] == second
