"""Reads for site pages, and everything the home page shows."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, Count, DateTimeField, F, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone

from booking.selectors import upcoming_bookings_of, upcoming_events
from core.kept import kept, valid_until
from core.prepared import Prepared
from courses.selectors import paths_by_audience
from makerspace.models import JobStatus
from makerspace.selectors import free_printer_ids, jobs_of
from media.models import Derivative, ProcessingStatus
from oral_history.models import AccessRequest
from oral_history.selectors import playable_by_anyone, visible_interviews
from ugc.models import Work, WorkState

# --- the home page: what is on, and for a signed-in reader, what is theirs -------------------
#
# Other apps' data is read through their selectors where one exists, and otherwise with one
# query here. What is on is the same for every visitor: it is kept until any of its rows
# changes (core/kept.py). What is the reader's own
# is one query (a UNION of small ordered parts). The page's cost so stays flat and small however
# many rows there are (cms/tests/test_home.py).

HOME_EVENTS = 4
HOME_WORKS = 4
HOME_INTERVIEWS = 3
HOME_MINE = 3
# How long a decision on an access request stays news on the reader's home page.
DECISION_NEWS_DAYS = 30
# What is on is kept until one of its rows changes (core.kept); this bounds its life all the same.
WHATS_ON_SECONDS = 600


def _as_text(expression):
    return Cast(expression, output_field=CharField())


def events_with_places(*, now: datetime | None = None) -> list:
    """Coming events that still have free places, soonest first."""
    events = list(
        upcoming_events(now=now).filter(taken__lt=F("capacity")).order_by("starts_at")[:HOME_EVENTS]
    )
    # The list changes by itself when its first event starts.
    valid_until(min((event.starts_at for event in events), default=None))
    for event in events:
        event.places_left = event.capacity - event.taken
    return events


def new_and_featured_works() -> tuple[list, list]:
    """The newest published works, and the readers' favourites among the others, in one query;
    each with its picture (poster, thumbnail or preview) in a second."""
    published = Work.objects.filter(state=WorkState.PUBLISHED).select_related("owner")
    newest = published.annotate(shelf=Value("new"), favourite_count=Value(0)).order_by(
        "-published_at"
    )[:HOME_WORKS]
    favourites = (
        published.annotate(shelf=Value("featured"), favourite_count=Count("favourites"))
        .filter(favourite_count__gt=0)
        .order_by("-favourite_count", "-published_at")[: HOME_WORKS * 2]
    )
    new, featured = [], []
    for work in newest.union(favourites, all=True):
        (new if work.shelf == "new" else featured).append(work)
    shown = {work.pk for work in new}
    featured = [work for work in featured if work.pk not in shown][:HOME_WORKS]
    pictures: dict = {}
    for item in Derivative.objects.filter(
        asset_id__in=[work.asset_id for work in new + featured],
        role__in=("poster", "thumbnail", "preview"),
    ).order_by("role"):
        pictures.setdefault(item.asset_id, item)
    for work in new + featured:
        work.picture = pictures.get(work.asset_id)
    return new, featured


def archive_highlights() -> list:
    """Recently catalogued interviews that anyone may see and hear (the archive's own rules
    decide): a sealed or on-request record is not featured on the home page."""
    found = playable_by_anyone(visible_interviews(AnonymousUser()))
    return list(found.order_by("-created_at")[:HOME_INTERVIEWS])


def opening_hours_today(*, site, today: date | None = None):
    """Today's row of the library's opening hours (None when the librarians have not said)."""
    from .models import OpeningHoursDay

    today = today or timezone.localdate()
    return OpeningHoursDay.objects.filter(settings__site=site, weekday=today.weekday()).first()


def _whats_on(site) -> dict:
    new_works, featured_works = new_and_featured_works()
    return {
        "events": events_with_places(),
        "paths_by_audience": paths_by_audience(),
        "new_works": new_works,
        "featured_works": featured_works,
        "interviews": archive_highlights(),
        "printers_free": len(free_printer_ids()),
        "hours_today": opening_hours_today(site=site),
    }


def whats_on(site) -> dict:
    """What is on, the same for every visitor: kept until a row it shows changes (core.kept),
    the soonest event shown starts, or the day (and its opening hours) ends."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    valid_until(timezone.make_aware(datetime.combine(tomorrow, datetime.min.time())))
    return kept(
        f"cms:home:whats-on:{site.pk}:{timezone.localdate()}",
        lambda: _whats_on(site),
        seconds=WHATS_ON_SECONDS,
    )


@dataclass(frozen=True)
class MineRow:
    """One line of the reader's own things on the home page."""

    kind: str  # "booking", "print", "work" or "request"
    pk: str
    title: str
    status: str
    when: datetime
    extra: str

    @property
    def url(self) -> str:
        if self.kind == "request":
            return reverse("oral_history:interview", args=[int(self.extra.split(" ", 1)[0])])
        name = {"booking": "booking:detail", "print": "makerspace:job", "work": "ugc:work"}
        return reverse(name[self.kind], args=[self.pk])

    @property
    def status_label(self) -> str:
        """The state in the reader's language, from each app's own choices."""
        if self.kind == "print":
            return str(JobStatus(self.status).label)
        if self.kind == "work":
            # Until its file is processed that is the news; then its publication state.
            if self.extra != ProcessingStatus.READY:
                return str(ProcessingStatus(self.extra).label)
            return str(WorkState(self.status).label)
        if self.kind == "request":
            return str(AccessRequest.Status(self.status).label)
        return ""

    @property
    def note(self) -> str:
        return self.extra.split(" ", 1)[1] if self.kind == "request" else ""


def _rows(queryset, kind: str, *, title, status, when, extra, order: str, limit: int):
    return (
        queryset.select_related(None)
        .annotate(
            row_kind=Value(kind, output_field=CharField()),
            row_pk=_as_text("id"),
            row_title=_as_text(title),
            row_status=_as_text(status),
            row_when=Cast(when, output_field=DateTimeField()),
            row_extra=_as_text(extra),
        )
        .values_list("row_kind", "row_pk", "row_title", "row_status", "row_when", "row_extra")
        .order_by(order)[:limit]
    )


def _mine_query(*, user_id: int, now: datetime, since: datetime):
    finished = (JobStatus.COLLECTED, JobStatus.CANCELLED, JobStatus.REJECTED)
    requests = AccessRequest.objects.filter(reader=user_id).filter(
        Q(status=AccessRequest.Status.PENDING) | Q(decided_at__gte=since)
    )
    parts = [
        _rows(
            upcoming_bookings_of(user=user_id, now=now),
            "booking",
            title=Coalesce("resource__name", "event__title"),
            status="status",
            when="starts_at",
            extra=Value(""),
            order="starts_at",
            limit=1,
        ),
        _rows(
            jobs_of(user_id).exclude(status__in=finished),
            "print",
            title="title",
            status="status",
            when="created_at",
            extra=Value(""),
            order="-created_at",
            limit=HOME_MINE,
        ),
        _rows(
            Work.objects.filter(owner=user_id),
            "work",
            title="title",
            status="state",
            when="updated_at",
            extra=F("asset__status"),
            order="-updated_at",
            limit=HOME_MINE,
        ),
        _rows(
            requests,
            "request",
            title="interview__title",
            status="status",
            when=Coalesce("decided_at", "created_at"),
            # The interview's id, then the archivist's note to the reader.
            extra=Concat(
                _as_text("interview_id"), Value(" "), "decision_note", output_field=CharField()
            ),
            order="-created_at",
            limit=HOME_MINE,
        ),
    ]
    return parts[0].union(*parts[1:], all=True)


# Composed by the ORM once per process: the same statement for every reader (core.prepared).
_MINE = Prepared(_mine_query, user_id=int, now=datetime, since=datetime)


def mine(user, *, now: datetime | None = None) -> dict[str, list[MineRow]]:
    """The reader's next booking, print jobs on their way, latest works and the archive's
    answers to their access requests, in one query for all four."""
    now = now or timezone.now()
    since = now - timedelta(days=DECISION_NEWS_DAYS)
    found: dict[str, list[MineRow]] = {"booking": [], "print": [], "work": [], "request": []}
    for row in _MINE.rows(user_id=user.pk, now=now, since=since):
        item = MineRow(*row)
        found[item.kind].append(item)
    return found


# --- what every page shows: the menus and the footer -----------------------------------------


@dataclass(frozen=True)
class Chrome:
    menu: list
    footer_links: list
    address: str = ""
    opening_hours: str = ""
    phone: str = ""
    note: str = ""


def _chrome() -> Chrome:
    from wagtail.models import Site
    from wagtail.templatetags.wagtailcore_tags import richtext

    from .models import FooterSettings, MenuLink, NavigationSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return Chrome(menu=[], footer_links=[])
    # Read, never created here (``for_site`` would write while a page is being made).
    navigation = NavigationSettings.objects.filter(site=site).first() or NavigationSettings(
        site=site
    )
    footer = FooterSettings.objects.filter(site=site).first() or FooterSettings(site=site)

    def links(rows) -> list:
        # The linked pages by their ids (a join would make the links depend on every page).
        rows = rows.prefetch_related("link_page").order_by("sort_order")
        return [MenuLink(row.label, row.label_en, row.href) for row in rows]

    return Chrome(
        menu=links(navigation.items.all()) if navigation.pk else [],
        footer_links=links(footer.links.all()) if footer.pk else [],
        address=footer.address,
        opening_hours=footer.opening_hours,
        phone=footer.phone,
        # Rendered here, once per change, not on every page (links to pages are looked up).
        note=richtext(footer.note) if footer.note else "",
    )


def chrome() -> Chrome:
    """The menus and the footer of every page: kept until a link, a setting or a page they
    point to changes (core.kept), so that a page spends no query on them."""
    return kept("cms:chrome", _chrome, seconds=3600)
