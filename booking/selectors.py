"""Reads for the booking engine: what is open when, what is taken, whose bookings are whose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from core.prepared import Prepared, PreparedList

from . import rules
from .models import (
    ACTIVE_STATUSES,
    AvailabilityWindow,
    Booking,
    BookingStatus,
    CalendarFeed,
    Category,
    Closure,
    Event,
    Location,
    OpeningHours,
    Resource,
    WaitlistEntry,
    WaitlistStatus,
)


@dataclass(frozen=True)
class Family:
    root: int
    # The resource itself, its ancestors and its descendants: everything a booking of it blocks.
    ids: list[int]


def family_ids(resource: Resource) -> Family:
    ancestors: list[int] = []
    parent_id = resource.parent_id
    root = resource.pk
    while parent_id is not None:
        ancestors.append(parent_id)
        root = parent_id
        parent_id = Resource.objects.filter(pk=parent_id).values_list("parent_id", flat=True)[0]
    descendants: list[int] = []
    frontier = [resource.pk]
    while frontier:
        frontier = list(
            Resource.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        descendants.extend(frontier)
    return Family(root=root, ids=[resource.pk, *ancestors, *descendants])


def resource_for_rules(pk: int, *, lock: bool = False) -> Resource:
    """A resource with everything the rules read about it, in one query (locked if asked)."""
    found = Resource.objects.select_related(
        "location", "category", "required_qualification", "required_group"
    )
    if lock:
        found = found.select_for_update(of=("self",))
    return found.get(pk=pk)


def blocking_bookings(
    *, family: Iterable[int], interval: rules.Interval, exclude: Booking | None
) -> list[Booking]:
    """Live bookings of any resource in ``family`` whose blocked time overlaps ``interval``."""
    found = Booking.objects.filter(
        resource_id__in=list(family),
        status__in=ACTIVE_STATUSES,
        starts_at__lt=interval[1],
        blocked_until__gt=interval[0],
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return list(found)


def closure_on(location: Location, day: date) -> str | None:
    closure = Closure.objects.filter(location=location, first_day__lte=day, last_day__gte=day)
    return closure.values_list("reason", flat=True).first()


def open_windows(resource: Resource, day: date, *, closed: bool | None = None) -> list:
    """When ``resource`` can be booked on the local ``day``: opening hours ∩ its own windows."""
    if closed is None:
        closed = closure_on(resource.location, day) is not None
    if closed:
        return []
    tz = resource.location.tz
    hours = [
        rules.local_window(day, opens, closes, tz)
        for opens, closes in OpeningHours.objects.filter(
            location_id=resource.location_id, weekday=day.weekday()
        ).values_list("opens", "closes")
    ]
    # A resource with weekly windows of its own is bookable only within them, on any day.
    windows = list(
        AvailabilityWindow.objects.filter(resource_id=resource.pk).values_list(
            "weekday", "starts", "ends", "valid_from", "valid_until"
        )
    )
    if not windows:
        return sorted(hours)
    own = [
        rules.local_window(day, starts, ends, tz)
        for weekday, starts, ends, valid_from, valid_until in windows
        if weekday == day.weekday()
        and (valid_from is None or valid_from <= day)
        and (valid_until is None or day <= valid_until)
    ]
    return rules.intersect(hours, own)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    state: str  # "free", "taken", "mine", "past" or "yours" (the booking being moved)

    @property
    def is_free(self) -> bool:
        return self.state == "free"


def day_slots(
    resource: Resource,
    day: date,
    *,
    now: datetime | None = None,
    minutes: int | None = None,
    exclude: Booking | None = None,
    viewer: User | None = None,
) -> list[Slot]:
    """Every possible start on ``day`` for a booking of ``minutes`` (the shortest by default).

    Starts whose booking would run past closing time are left out, so the grid never offers a
    time the rules would refuse as outside the hours. ``exclude`` is a booking being moved: its
    current start is shown as "yours", and its time does not make other starts taken. A start
    blocked by one of ``viewer``'s own bookings is "mine": there is nothing to wait for.
    """
    now = now or timezone.now()
    windows = open_windows(resource, day)
    if not windows:
        return []
    family = family_ids(resource).ids
    found = blocking_bookings(
        family=family, interval=(windows[0][0], windows[-1][1]), exclude=exclude
    )
    taken = [(b.starts_at, b.blocked_until) for b in found]
    own = [
        (b.starts_at, b.blocked_until)
        for b in found
        if viewer is not None and b.user_id == viewer.pk and not b.is_hold
    ]
    step = timedelta(minutes=resource.slot_minutes)
    length = timedelta(minutes=minutes or resource.min_duration_minutes)
    buffer = timedelta(minutes=resource.buffer_minutes)
    earliest = now + timedelta(minutes=resource.min_notice_minutes)
    last_day = timezone.localdate(now, resource.location.tz) + timedelta(
        days=resource.booking_window_days
    )
    slots = []
    for opens, closes in windows:
        start = opens
        while start + length <= closes:
            end = start + length
            if exclude is not None and start == exclude.starts_at:
                state = "yours"
            elif start < earliest or day > last_day:
                state = "past"
            elif rules.conflicts(rules.blocked(start, end, buffer), own):
                state = "mine"
            elif rules.conflicts(rules.blocked(start, end, buffer), taken):
                state = "taken"
            else:
                state = "free"
            slots.append(Slot(start, end, state))
            start += step
    return slots


def free_starts(
    resource: Resource,
    day: date,
    *,
    minutes: int,
    near: datetime | None = None,
    exclude: Booking | None = None,
    limit: int = 4,
) -> list[datetime]:
    """Free starts on ``day`` for a booking of ``minutes``, the closest to ``near`` first:
    what would work instead of a refused time, in the order of the day."""
    found = [
        slot.starts_at
        for slot in day_slots(resource, day, minutes=minutes, exclude=exclude)
        if slot.is_free
    ]
    if near is not None:
        found.sort(key=lambda start: abs(start - near))
    return sorted(found[:limit])


def slot_blockers(resource: Resource, start: datetime, end: datetime) -> list[Booking]:
    """The live bookings that keep ``resource`` (or its family) busy for this time."""
    interval = rules.blocked(start, end, timedelta(minutes=resource.buffer_minutes))
    return blocking_bookings(family=family_ids(resource).ids, interval=interval, exclude=None)


@dataclass(frozen=True)
class GridRow:
    """One row of a booking grid: a resource on a day (rooms × hours), or a day of a week."""

    resource: Resource
    day: date
    closure: str | None
    # One entry per column of the grid; None where this row has no start at that time.
    cells: list[Slot | None]


@dataclass(frozen=True)
class Grid:
    columns: list[str]  # local start times, "HH:MM"
    rows: list[GridRow]

    @property
    def free_count(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell and cell.is_free)


def _grid(
    entries: list[tuple[Resource, date]], *, minutes: int | None, exclude: Booking | None
) -> Grid:
    """Lay out the slots of each (resource, day) on common time columns.

    Columns are the union of every row's starts in local time, so rows with other hours or
    slot lengths line up and a row simply has no cell where it is closed.
    """
    raw = []
    for resource, day in entries:
        closure = closure_on(resource.location, day)
        slots = [] if closure else day_slots(resource, day, minutes=minutes, exclude=exclude)
        tz = resource.location.tz
        by_time = {slot.starts_at.astimezone(tz).strftime("%H:%M"): slot for slot in slots}
        raw.append((resource, day, closure, by_time))
    columns = sorted({time for *_rest, by_time in raw for time in by_time})
    rows = [
        GridRow(resource, day, closure, [by_time.get(column) for column in columns])
        for resource, day, closure, by_time in raw
    ]
    return Grid(columns, rows)


def day_grid(*, resources: Iterable[Resource], day: date) -> Grid:
    """Rooms × hours: every resource's starts on one local day."""
    return _grid([(resource, day) for resource in resources], minutes=None, exclude=None)


def week_grid(
    *,
    resource: Resource,
    first_day: date,
    minutes: int | None = None,
    exclude: Booking | None = None,
) -> Grid:
    """Days × hours for one resource over seven days (the move grid passes the booking)."""
    days = [first_day + timedelta(days=n) for n in range(7)]
    return _grid([(resource, day) for day in days], minutes=minutes, exclude=exclude)


def bookable_resources(*, location: Location | None = None, kind: str = "") -> QuerySet[Resource]:
    found = Resource.objects.filter(is_active=True, staff_only=False).select_related(
        "location", "category", "required_qualification", "parent"
    )
    if location is not None:
        found = found.filter(location=location)
    if kind:
        found = found.filter(kind=kind)
    return found


def upcoming_events(*, now: datetime | None = None) -> QuerySet[Event]:
    now = now or timezone.now()
    return (
        Event.objects.filter(is_cancelled=False, starts_at__gt=now)
        .select_related("location", "resource")
        .annotate(
            taken=Count("bookings", filter=Q(bookings__status__in=ACTIVE_STATUSES), distinct=True)
        )
        # Soonest first: Meta.ordering is not applied to a query with an aggregate.
        .order_by("starts_at", "pk")
    )


def places_taken(event: Event) -> int:
    return event.bookings.filter(status__in=ACTIVE_STATUSES).count()


def reader_intervals(
    *, user: User, category: Category, around: datetime, exclude: Booking | None
) -> list[rules.Interval]:
    """The reader's live bookings in ``category`` starting within a week either side."""
    found = Booking.objects.filter(
        Q(resource__category=category) | Q(event__category=category),
        user=user,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=around - timedelta(days=8),
        starts_at__lt=around + timedelta(days=8),
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return list(found.values_list("starts_at", "ends_at"))


def upcoming_count(
    *, user: User, category: Category, now: datetime, exclude: Booking | None
) -> int:
    found = Booking.objects.filter(
        Q(resource__category=category) | Q(event__category=category),
        user=user,
        status__in=ACTIVE_STATUSES,
        ends_at__gt=now,
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.count()


def _with_subject(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_related("resource__location", "event__location")


def bookings_of(*, user: User) -> QuerySet[Booking]:
    return _with_subject(Booking.objects.filter(user=user, is_hold=False)).order_by("-starts_at")


def upcoming_bookings_of(*, user: User, now: datetime | None = None) -> QuerySet[Booking]:
    """Live bookings still to come; a cancelled or declined one is no longer "coming up"."""
    now = now or timezone.now()
    return (
        bookings_of(user=user)
        .filter(ends_at__gt=now, status__in=ACTIVE_STATUSES)
        .order_by("starts_at")
    )


def earlier_bookings_of(*, user: User, now: datetime | None = None) -> QuerySet[Booking]:
    """Everything not coming up: past bookings, and future ones that were let go."""
    now = now or timezone.now()
    return bookings_of(user=user).exclude(ends_at__gt=now, status__in=ACTIVE_STATUSES)


def _ahead_in_queue() -> Q:
    """Waiting entries before the outer query's entry in its queue: the same event or resource
    at the same start, in the order offers are made. An entry names either an event or a
    resource (a check constraint), so the side it leaves NULL never matches."""
    return (
        (Q(event_id=OuterRef("event_id")) | Q(resource_id=OuterRef("resource_id")))
        & Q(starts_at=OuterRef("starts_at"), status=WaitlistStatus.WAITING)
        & (
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
    )


# --- the reader's own lists, as on "My bookings" -----------------------------------------------
#
# Composed by the ORM once per process and bound per reader (core.prepared): building and
# compiling these querysets, and making model instances with their related rows, cost a reader's
# page 4–5 ms each (the SQL itself under 1 ms).


@dataclass(frozen=True)
class BookingLine:
    """A booking in the reader's list: what the table shows, read in the list's one query."""

    pk: object
    subject_title: str
    location_name: str
    starts_at: datetime
    ends_at: datetime
    status: str

    def get_status_display(self) -> str:
        return str(BookingStatus(self.status).label)


@dataclass(frozen=True)
class WaitingLine:
    """One of the reader's waiting-list places; ``position`` 1 is next in line."""

    pk: int
    starts_at: datetime
    position: int
    event_id: object
    event_title: str
    resource_slug: str
    resource_name: str


def _as_lines(bookings: QuerySet[Booking]):
    return bookings.annotate(
        line_title=Coalesce("resource__name", "event__title"),
        line_location=Coalesce("resource__location__name", "event__location__name"),
    ).values_list("id", "line_title", "line_location", "starts_at", "ends_at", "status")


_UPCOMING_LINES = Prepared(
    lambda *, user_id, now: _as_lines(upcoming_bookings_of(user=user_id, now=now)),
    user_id=int,
    now=datetime,
)
_EARLIER_LINES = Prepared(
    lambda *, user_id, now: _as_lines(earlier_bookings_of(user=user_id, now=now)),
    user_id=int,
    now=datetime,
)
_EARLIER_COUNT = Prepared(
    lambda *, user_id, now: (
        earlier_bookings_of(user=user_id, now=now)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values_list("n")
    ),
    user_id=int,
    now=datetime,
)


def _waiting_query(*, user_id: int, now: datetime):
    ahead = (
        WaitlistEntry.objects.filter(_ahead_in_queue())
        .order_by()
        .values("status")  # all WAITING: one group, so one count
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        WaitlistEntry.objects.filter(user=user_id, status=WaitlistStatus.WAITING, starts_at__gt=now)
        .annotate(position=Coalesce(Subquery(ahead), 0) + 1)
        .order_by("starts_at", "pk")
        .values_list("id", "starts_at", "position", "event_id", "event__title",
                     "resource__slug", "resource__name")
    )  # fmt: skip


_WAITING_LINES = Prepared(_waiting_query, user_id=int, now=datetime)


def upcoming_lines_of(*, user: User, now: datetime) -> list[BookingLine]:
    return [BookingLine(*row) for row in _UPCOMING_LINES.rows(user_id=user.pk, now=now)]


def earlier_lines_of(*, user: User, now: datetime) -> PreparedList:
    """Earlier and let-go bookings, most recent first, for a Paginator (a count and a page)."""
    return PreparedList(
        _EARLIER_LINES, _EARLIER_COUNT, lambda row: BookingLine(*row), user_id=user.pk, now=now
    )


def waiting_lines_of(*, user: User, now: datetime) -> list[WaitingLine]:
    """The reader's open waiting-list places with their positions, in one query."""
    return [WaitingLine(*row) for row in _WAITING_LINES.rows(user_id=user.pk, now=now)]


def waitlist_position(entry: WaitlistEntry) -> int:
    """Place in the queue for the same event or slot, in the order offers are made."""
    ahead = WaitlistEntry.objects.filter(
        event_id=entry.event_id,
        resource_id=entry.resource_id,
        starts_at=entry.starts_at,
        status=WaitlistStatus.WAITING,
    ).filter(Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk))
    return ahead.count() + 1


def waiting_entry(*, user: User, event: Event) -> WaitlistEntry | None:
    entry = WaitlistEntry.objects.filter(
        user=user, event=event, status=WaitlistStatus.WAITING
    ).first()
    if entry is not None:
        entry.position = waitlist_position(entry)
    return entry


def booking_for(*, user: User, pk) -> Booking | None:
    """The booking if ``user`` may see it (their own, or any for staff); None otherwise."""
    found = _with_subject(Booking.objects.filter(pk=pk)).select_related("user")
    if not user.has_perm("booking.manage_bookings"):
        found = found.filter(user=user)
    return found.first()


def feed_bookings(*, token: str) -> tuple[User, QuerySet[Booking]] | None:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        return None
    since = timezone.now() - timedelta(days=30)
    bookings = (
        bookings_of(user=feed.user)
        .filter(starts_at__gte=since)
        .exclude(status__in=[BookingStatus.DECLINED, BookingStatus.EXPIRED])
    )
    return feed.user, bookings


def pending_approvals() -> QuerySet[Booking]:
    return _with_subject(Booking.objects.filter(status=BookingStatus.PENDING)).select_related(
        "user"
    )


def staff_calendar(
    *, first_day: date, days: int, location: Location | None = None, kind: str = ""
) -> tuple[list[Resource], QuerySet[Booking]]:
    """Resources (filtered) and their live bookings over ``days`` local days from ``first_day``."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
    end = start + timedelta(days=days)
    resources = Resource.objects.select_related("location", "parent")
    if location is not None:
        resources = resources.filter(location=location)
    if kind:
        resources = resources.filter(kind=kind)
    bookings = (
        Booking.objects.filter(
            resource__in=resources,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("user", "resource")
        .order_by("starts_at")
    )
    return list(resources), bookings


def day_bookings_for_check_in(*, day: date) -> QuerySet[Booking]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return _with_subject(
        Booking.objects.filter(
            is_hold=False,
            status__in=[BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN],
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
        )
    ).select_related("user")
