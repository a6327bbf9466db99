"""The archive's access decisions (oral_history.selectors), one rule at a time.

test_access.py follows each level through every path (pages, media, API, OAI-PMH); these pin
the functions those paths ask, at their edges: the embargo day itself, an expired grant,
another reader's grant, a withdrawn record, the ends of a redacted range. Rules that need no
rows are tested without the database (mutation testing runs them once per mutant).
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.utils import timezone

from accounts.tests.factories import UserFactory
from oral_history import selectors
from oral_history.models import AccessLevel, AccessRequest, Interview, InterviewMedia, Passage
from oral_history.tests.factories import InterviewFactory, grant

TODAY = dt.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(selectors, "_today", lambda: TODAY)


@pytest.fixture
def staff(db):
    member = UserFactory()
    member.user_permissions.add(Permission.objects.get(codename="view_restricted_interview"))
    return type(member).objects.get(pk=member.pk)


def fresh(user):
    """The same reader without the per-object caches (permissions, grants)."""
    return type(user).objects.get(pk=user.pk)


def interview(**fields) -> Interview:
    if fields.get("access_level") == AccessLevel.EMBARGO:
        fields.setdefault("embargo_until", TODAY + dt.timedelta(days=1))
    return InterviewFactory(**fields)


@pytest.mark.parametrize(
    ("level", "embargo_until", "granted", "allowed"),
    [
        (AccessLevel.OPEN, None, False, True),
        (AccessLevel.REQUEST, None, False, False),
        (AccessLevel.REQUEST, None, True, True),
        (AccessLevel.EMBARGO, TODAY - dt.timedelta(days=1), False, True),
        (AccessLevel.EMBARGO, TODAY, False, True),
        (AccessLevel.EMBARGO, TODAY + dt.timedelta(days=1), False, False),
        (AccessLevel.EMBARGO, TODAY + dt.timedelta(days=1), True, False),
        (AccessLevel.EMBARGO, None, True, False),
        (AccessLevel.RESTRICTED, None, True, False),
        (AccessLevel.RESTRICTED, TODAY - dt.timedelta(days=1), True, False),
    ],
)
def test_level_allows(level, embargo_until, granted, allowed):
    assert selectors.level_allows(level, embargo_until, granted=granted) is allowed


def test_redacted_ranges_include_their_start_and_exclude_their_end():
    ranges = [(10.0, 20.0), (30.0, 31.0)]
    assert not selectors.starts_redacted(9.99, ranges)
    assert selectors.starts_redacted(10.0, ranges)
    assert selectors.starts_redacted(19.99, ranges)
    assert not selectors.starts_redacted(20.0, ranges)
    assert selectors.starts_redacted(30.5, ranges)
    assert not selectors.starts_redacted(30.5, [])


@pytest.mark.parametrize(
    ("start", "end", "touches"),
    [
        (0.0, 10.0, False),  # ends where the range starts
        (0.0, 10.01, True),
        (20.0, 25.0, False),  # starts where the range ends
        (19.99, 25.0, True),
        (12.0, 13.0, True),  # inside
        (5.0, 25.0, True),  # around
        (30.0, 40.0, False),
    ],
)
def test_a_cue_touching_a_redacted_range(start, end, touches):
    assert selectors._overlaps(start, end, [(10.0, 20.0)]) is touches


def test_access_file_is_the_redacted_copy_for_the_public(monkeypatch):
    access = SimpleNamespace(file="access-copy")
    monkeypatch.setattr(selectors, "access_copy", lambda *, asset_id: access if asset_id else None)
    ready = InterviewMedia.CopyStatus.READY
    redacted = SimpleNamespace(
        redacted_for=[[1, 2]], redacted_copy_status=ready, redacted_copy="silenced", asset_id=7
    )
    assert selectors.access_file(redacted, staff=False) == "silenced"
    assert selectors.access_file(redacted, staff=True) == "access-copy"
    redacted.redacted_copy_status = "pending"
    assert selectors.access_file(redacted, staff=False) is None
    plain = SimpleNamespace(
        redacted_for=[], redacted_copy_status="", redacted_copy=None, asset_id=7
    )
    assert selectors.access_file(plain, staff=False) == "access-copy"
    plain.asset_id = None  # no access copy made yet
    assert selectors.access_file(plain, staff=False) is None


@pytest.mark.django_db
def test_archive_staff_are_those_with_the_permission(user, staff):
    assert selectors.is_archive_staff(staff)
    assert not selectors.is_archive_staff(user)
    assert not selectors.is_archive_staff(AnonymousUser())
    assert selectors.is_archive_staff(UserFactory(is_superuser=True))
    assert not selectors.is_archive_staff(UserFactory(is_staff=True))


@pytest.mark.django_db
def test_grants_count_only_when_granted_unexpired_and_to_this_reader(
    user, other_user, django_assert_num_queries
):
    mine, expired, pending, declined, others = (interview() for _ in range(5))
    grant(mine, user)
    grant(expired, user, expired=True)
    later = timezone.now() + dt.timedelta(days=5)
    for item, status in ((pending, "PENDING"), (declined, "DECLINED")):
        AccessRequest.objects.create(
            interview=item, reader=user, purpose="研究",
            status=getattr(AccessRequest.Status, status), granted_until=later,
        )  # fmt: skip
    grant(others, other_user)
    reader = fresh(user)
    with django_assert_num_queries(1):
        assert selectors.granted_interview_ids(reader) == {mine.pk}
        assert selectors.granted_interview_ids(reader) == {mine.pk}  # cached on the reader
    assert selectors.granted_interview_ids(fresh(other_user)) == {others.pk}
    assert selectors.granted_interview_ids(AnonymousUser()) == set()


@pytest.mark.django_db
def test_a_record_is_visible_when_published_not_withdrawn_and_not_restricted(user, staff):
    shown = interview()
    cases = {
        "shown": shown,
        "draft": interview(published=False),
        "withdrawn": interview(withdrawn_at=timezone.now()),
        "restricted": interview(access_level=AccessLevel.RESTRICTED),
        "request": interview(access_level=AccessLevel.REQUEST),
        "embargo": interview(access_level=AccessLevel.EMBARGO),
    }
    visible = {"shown", "request", "embargo"}
    for viewer in (user, AnonymousUser()):
        for name, item in cases.items():
            assert selectors.record_visible(viewer, item) is (name in visible), name
        assert set(selectors.visible_interviews(viewer)) == {cases[n] for n in visible}
        for name, item in cases.items():
            assert selectors.interview_for(viewer, item.pk) == (
                item if name in visible else None
            ), name
    for item in cases.values():
        assert selectors.record_visible(staff, item)
        assert selectors.interview_for(staff, item.pk) == item
    assert set(selectors.visible_interviews(staff)) == set(cases.values())
    assert selectors.interview_for(staff, max(i.pk for i in cases.values()) + 1) is None


def part(level=AccessLevel.OPEN, embargo_until=None):
    return SimpleNamespace(access_level=level, embargo_until=embargo_until)


@pytest.mark.django_db
def test_a_part_needs_the_record_the_interview_level_and_its_own_level(user, other_user, staff):
    open_record = interview()
    on_request = interview(access_level=AccessLevel.REQUEST)
    grant(on_request, user)
    grant(open_record, user)
    reader, other = fresh(user), fresh(other_user)

    assert selectors.part_available(reader, open_record)
    assert selectors.part_available(reader, open_record, part())
    assert not selectors.part_available(reader, open_record, part(AccessLevel.RESTRICTED))
    assert selectors.part_available(reader, open_record, part(AccessLevel.REQUEST))  # granted
    assert not selectors.part_available(other, open_record, part(AccessLevel.REQUEST))
    assert not selectors.part_available(
        reader, open_record, part(AccessLevel.EMBARGO, TODAY + dt.timedelta(days=1))
    )
    assert selectors.part_available(reader, open_record, part(AccessLevel.EMBARGO, TODAY))

    assert selectors.part_available(reader, on_request, part())
    assert not selectors.part_available(other, on_request)
    assert not selectors.part_available(other, on_request, part())
    assert not selectors.part_available(AnonymousUser(), on_request, part())

    draft = interview(published=False)
    assert not selectors.part_available(reader, draft)
    assert not selectors.part_available(reader, draft, part())
    restricted = interview(access_level=AccessLevel.RESTRICTED)
    for item in (draft, restricted, on_request):
        assert selectors.part_available(staff, item, part(AccessLevel.RESTRICTED))


def passage(of: Interview, kind, level=AccessLevel.OPEN, embargo_until=None) -> Passage:
    return Passage.objects.create(
        interview=of, kind=kind, part_level=level, part_embargo_until=embargo_until, text="x",
        search="",
    )  # fmt: skip


@pytest.mark.django_db
def test_search_finds_only_passages_the_reader_may_see(user, staff):
    record, segment, transcript = Passage.Kind.RECORD, Passage.Kind.SEGMENT, Passage.Kind.TRANSCRIPT
    Passage.objects.all().delete()
    shown = interview()
    on_request = interview(access_level=AccessLevel.REQUEST)
    embargoed = interview(access_level=AccessLevel.EMBARGO)
    hidden = interview(published=False)
    grant(on_request, user)
    visible = {
        passage(shown, record),
        passage(shown, segment),
        passage(shown, transcript, AccessLevel.EMBARGO, TODAY),
        passage(on_request, record),
        passage(embargoed, record),
    }
    granted_only = {
        passage(on_request, segment),
        passage(on_request, segment, AccessLevel.REQUEST),
    }
    never = {
        passage(shown, segment, AccessLevel.REQUEST),  # granted for another interview only
        passage(shown, segment, AccessLevel.RESTRICTED),
        passage(shown, transcript, AccessLevel.EMBARGO, TODAY + dt.timedelta(days=1)),
        passage(embargoed, segment),
        passage(hidden, record),
        passage(interview(withdrawn_at=timezone.now()), record),
        passage(interview(access_level=AccessLevel.RESTRICTED), record),
    }
    Passage.objects.filter(interview=on_request, kind=record).update(part_level=AccessLevel.REQUEST)

    def found(viewer):
        return set(Passage.objects.filter(selectors._passage_filter(viewer)))

    assert found(fresh(user)) == visible | granted_only
    assert found(AnonymousUser()) == visible
    assert found(UserFactory()) == visible
    assert found(staff) == visible | granted_only | never


@pytest.mark.django_db
def test_harvest_lists_published_unrestricted_records_withdrawn_ones_included():
    first = interview()
    withdrawn = interview(withdrawn_at=timezone.now())
    embargoed = interview(access_level=AccessLevel.EMBARGO)
    interview(published=False)
    interview(access_level=AccessLevel.RESTRICTED)
    Interview.objects.filter(pk=first.pk).update(updated_at=timezone.now() + dt.timedelta(days=1))
    assert list(selectors.interviews_for_harvest()) == [withdrawn, embargoed, first]


@pytest.mark.django_db
def test_an_interview_embargoed_until_today_opens_with_its_parts():
    """The interview's own embargo date decides, on the day itself and after; a day early it
    keeps every part closed."""
    lifted = interview(access_level=AccessLevel.EMBARGO, embargo_until=TODAY)
    sealed = interview(access_level=AccessLevel.EMBARGO, embargo_until=TODAY + dt.timedelta(1))
    visitor = AnonymousUser()
    assert selectors.part_available(visitor, lifted)
    assert selectors.part_available(visitor, lifted, part())
    assert not selectors.part_available(visitor, sealed)
    assert not selectors.part_available(visitor, sealed, part())
