"""Each module's action writes its activity event once: in the transaction that makes the
change, so a repeated call, a retried task or a refused change adds nothing."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.insight.models import ActivityEvent
from core.insight.services import pseudonym

pytestmark = pytest.mark.django_db


def events(kind: str) -> list[ActivityEvent]:
    return list(ActivityEvent.objects.filter(kind=kind).order_by("id"))


# --- Learning ----------------------------------------------------------------------------------


def test_learning_records_enrolment_views_completions_and_rewards_once():
    from courses import services
    from courses.tests.factories import badge, course, lessons_of

    reader = UserFactory(audience_group="senior")
    viewed = [("paragraph", "<p>手机屏幕上的图标叫应用程序。</p>")]
    page = course(
        badge=badge(),
        certificate=True,
        lessons=[("认识手机", "viewed", viewed, {}), ("打电话", "viewed", viewed, {})],
    )
    first, second = lessons_of(page)
    services.enrol(user=reader, course=page)
    services.enrol(user=reader, course=page)
    view = str(uuid.uuid4())
    for event_id in (view, view, str(uuid.uuid4())):  # a repeated report changes nothing
        services.record_event(user=reader, lesson=first, event_id=event_id, kind="view")
    services.record_event(user=reader, lesson=second, event_id=str(uuid.uuid4()), kind="view")
    assert [e.subject_id for e in events("course.enrolled")] == [str(page.pk)]
    assert events("course.enrolled")[0].audience == "senior"
    assert [e.subject_id for e in events("lesson.viewed")] == [str(first.pk)] * 2 + [str(second.pk)]
    assert [e.subject_id for e in events("lesson.completed")] == [str(first.pk), str(second.pk)]
    assert len(events("course.completed")) == 1
    assert len(events("badge.issued")) == len(events("certificate.issued")) == 1
    assert events("lesson.viewed")[0].subject_type == "courses.lessonpage"


# --- Bookings ----------------------------------------------------------------------------------


def test_bookings_record_places_refusals_cancellations_and_waiting_lists(
    django_capture_on_commit_callbacks,
):
    from booking import services
    from booking.services import BookingRefused
    from booking.tests.factories import EventFactory

    first, second, third = UserFactory(), UserFactory(), UserFactory()
    event = EventFactory(capacity=1)
    place = services.book_event(user=first, event=event)
    # A refusal is written once the refused request's transaction is over.
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(BookingRefused):
            services.book_event(user=first, event=event)
        with pytest.raises(BookingRefused):
            services.book_event(user=second, event=event)
    services.join_waitlist(user=third, event=event)
    services.cancel_booking(booking=place, by=first)
    with pytest.raises(BookingRefused):
        services.cancel_booking(booking=place, by=first)

    created = events("booking.created")
    assert [(e.person_id, e.subject_type, e.subject_id) for e in created] == [
        (first.pk, "booking.event", str(event.pk))
    ]
    assert created[0].location == str(event.location_id) and created[0].value == 2.0
    assert [(e.person_id, e.outcome) for e in events("booking.refused")] == [
        (first.pk, "already_booked"),
        (second.pk, "full"),
    ]
    assert [(e.person_id, e.outcome) for e in events("booking.cancelled")] == [
        (first.pk, "in_time")
    ]
    assert [e.person_id for e in events("waitlist.joined")] == [third.pk]
    assert [e.person_id for e in events("waitlist.offered")] == [third.pk]


def test_a_cancellation_within_a_day_of_the_start_is_late():
    from booking import services
    from booking.tests.factories import EventFactory

    reader = UserFactory()
    soon = timezone.now() + timedelta(hours=5)
    event = EventFactory(starts_at=soon, ends_at=soon + timedelta(hours=1))
    services.cancel_booking(booking=services.book_event(user=reader, event=event), by=reader)
    assert [e.outcome for e in events("booking.cancelled")] == ["late"]


def test_check_ins_and_no_shows_are_recorded_once_however_often_the_task_runs():
    from booking import services
    from booking.models import Booking
    from booking.tests.factories import ResourceFactory, local, staff_member

    reader = UserFactory()
    room, other_room = ResourceFactory(), ResourceFactory()
    kept, missed = (
        services.book_resource(user=reader, resource=r, starts_at=local(1, 9), ends_at=local(1, 10))
        for r in (room, other_room)
    )

    def starting(booking, minutes_ago):
        start = timezone.now() - timedelta(minutes=minutes_ago)
        end = start + timedelta(hours=1)
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=start, ends_at=end, blocked_until=end
        )

    starting(kept, 5)
    services.check_in(booking=kept, by=staff_member())
    starting(missed, 40)
    assert services.release_no_shows() == 1
    assert services.release_no_shows() == 0
    assert [e.subject_id for e in events("booking.checked_in")] == [str(room.pk)]
    assert [e.subject_id for e in events("booking.no_show")] == [str(other_room.pk)]
    assert events("booking.no_show")[0].actor == pseudonym(reader.pk)


# --- Maker space -------------------------------------------------------------------------------


def test_print_jobs_record_submission_decision_and_end():
    from makerspace import services
    from makerspace.tests.factories import SHORT_GCODE, PrinterFactory, certified_maker, upload

    printer = PrinterFactory()
    maker = certified_maker(printer.equipment.resource.required_qualification)
    technician = UserFactory()
    technician.user_permissions.add(Permission.objects.get(codename="run_print_farm"))

    def submit():
        job = services.submit_job(
            owner=maker,
            upload=upload(SHORT_GCODE),
            request=services.JobRequest(title="支架", profile="virtual", material="PLA"),
        )
        services.confirm_job(job=job, user=maker)
        return job

    approved, rejected = submit(), submit()
    services.approve_job(job=approved, by=technician)
    services.reject_job(job=rejected, by=technician, reason="太大")
    services.cancel_job(job=approved, user=technician)
    assert len(events("print.submitted")) == 2
    assert [(e.subject_id, e.outcome) for e in events("print.decided")] == [
        (str(approved.pk), "approved"),
        (str(rejected.pk), "rejected"),
    ]
    assert all(e.person_id == maker.pk and e.value >= 0 for e in events("print.decided"))
    assert [(e.outcome, e.person_id) for e in events("print.finished")] == [("cancelled", maker.pk)]


def test_a_print_start_records_its_printer_and_the_wait_since_approval():
    from makerspace import services
    from makerspace.models import PrintJob
    from makerspace.tests.factories import SHORT_GCODE, PrinterFactory, certified_maker, upload

    printer = PrinterFactory()
    maker = certified_maker(printer.equipment.resource.required_qualification)
    technician = UserFactory()
    technician.user_permissions.add(Permission.objects.get(codename="run_print_farm"))
    job = services.submit_job(
        owner=maker,
        upload=upload(SHORT_GCODE),
        request=services.JobRequest(title="支架", profile="virtual", material="PLA"),
    )
    services.confirm_job(job=job, user=maker)
    services.approve_job(job=job, by=technician)
    PrintJob.objects.filter(pk=job.pk).update(approved_at=timezone.now() - timedelta(hours=3))
    services.schedule()
    job.refresh_from_db()
    seen = services.Observed(state="printing", text="Printing", file_name=job.remote_name)
    services.reconcile(printer, seen)
    services.reconcile(printer, seen)  # seen again while printing: still one start
    [started] = events("print.started")
    assert (started.subject_type, started.subject_id) == ("makerspace.printer", str(printer.pk))
    assert started.person_id == maker.pk and 2.9 < started.value < 3.1


# --- Readers' works ----------------------------------------------------------------------------


def test_works_record_uploads_decisions_reports_and_views_by_others(s3_endpoint, tasks_run_here):
    from accounts import roles
    from accounts import services as account_services
    from ugc import services
    from ugc.tests.factories import processed_asset

    owner, visitor, moderator = UserFactory(), UserFactory(), UserFactory()
    account_services.assign_role(user=moderator, role=roles.MODERATOR)
    work = services.add_work(owner=owner, asset=processed_asset(owner), title="沈阳老街")
    services.submit_for_review(work=work, user=owner)
    services.approve(work=work, moderator=moderator)
    services.report(work=work, reporter=visitor, reason="不是原创")
    services.report(work=work, reporter=visitor, reason="不是原创")
    for who in (owner, visitor, None):
        client = Client()
        if who:
            client.force_login(who)
        assert client.get(f"/works/{work.pk}/").status_code == 200
    assert [(e.subject_id, e.outcome) for e in events("work.uploaded")] == [(str(work.pk), "image")]
    decided = events("work.moderated")
    assert [(e.outcome, e.person_id) for e in decided] == [("approve", owner.pk)]
    assert 0 <= decided[0].value < 0.1
    assert len(events("work.reported")) == 1
    # The owner's own visits are not views; a visitor's and an anonymous reader's are.
    assert [e.person_id for e in events("work.viewed")] == [visitor.pk, None]


# --- Archive -----------------------------------------------------------------------------------


def test_archive_records_requests_decisions_and_searches(tasks_run_here):
    from oral_history import services
    from oral_history.models import AccessLevel
    from oral_history.tests.factories import InterviewFactory, archivist

    interview = InterviewFactory(access_level=AccessLevel.REQUEST)
    reader = UserFactory()
    request = services.request_access(interview=interview, reader=reader, purpose="写论文")
    services.grant_access(request_id=request.pk, user=archivist(), days=30)
    client = Client()
    client.get(reverse("oral_history:search"), {"q": "不存在的词语"})
    client.get(reverse("oral_history:search"), {"q": "不存在的词语", "page": "2"})
    assert [e.person_id for e in events("access.requested")] == [reader.pk]
    assert [(e.outcome, e.person_id) for e in events("access.decided")] == [("granted", reader.pk)]
    assert [(e.term, e.outcome) for e in events("archive.searched")] == [("不存在的词语", "none")]


@pytest.fixture
def recording(tmp_path, s3_endpoint):
    from oral_history.tests.factories import InterviewFactory, with_content

    interview = InterviewFactory(duration_seconds=40)
    item = with_content(interview, tmp_path=tmp_path)
    return interview, item


def _report(client, interview, item, body, **extra):
    return client.post(
        reverse("oral_history:played", args=[interview.pk, item.pk]),
        body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        **extra,
    )


def test_listening_is_counted_up_to_the_recordings_length(recording):
    interview, item = recording
    client = Client()
    assert _report(client, interview, item, {"seconds": 25}).json() == {"counted": 25.0}
    # A replayed or inflated report counts only what is left of the 40 seconds.
    assert _report(client, interview, item, {"seconds": 25}).json() == {"counted": 15.0}
    assert _report(client, interview, item, {"seconds": 25}).json() == {"counted": 0.0}
    played = events("interview.played")
    assert [(e.value, e.quantity, e.subject_id) for e in played] == [
        (25.0, 1.0, str(interview.pk)),
        (15.0, 0.0, str(interview.pk)),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"seconds": "25"},
        {"seconds": True},
        {"seconds": -1},
        {"seconds": 0},
        {"seconds": 3 * 3600 + 1},
        {"seconds": float("nan")},
        {},
        "[25]",
        "{",
        json.dumps({"seconds": 5, "pad": "x" * 1024}),
    ],
)
def test_a_hostile_listening_report_is_refused_in_the_readers_language(recording, body):
    interview, item = recording
    response = _report(Client(), interview, item, body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
    assert not ActivityEvent.objects.filter(kind="interview.played").exists()


def test_a_report_for_a_recording_the_listener_may_not_hear_is_not_found(recording):
    from oral_history.models import AccessLevel, Interview

    interview, item = recording
    Interview.objects.filter(pk=interview.pk).update(access_level=AccessLevel.REQUEST)
    assert _report(Client(), interview, item, {"seconds": 5}).status_code == 404
    other = uuid.uuid4()
    assert (
        Client()
        .post(reverse("oral_history:played", args=[interview.pk, other]), "{}", "application/json")
        .status_code
        == 404
    )
    assert not ActivityEvent.objects.exists()


def test_the_player_asks_for_its_token_when_it_has_listening_to_report(recording):
    """The player carries no per-visitor token in the page; it asks /csrf/ for one when there
    is listening to report, and a report without it is refused."""
    interview, item = recording
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("oral_history:interview", args=[interview.pk]))
    assert page.status_code == 200
    player = re.search(r"<article[^>]*data-oh-interview[^>]*>", page.content.decode()).group(0)
    assert 'data-csrf-url="/csrf/"' in player and "data-csrf=" not in player
    assert _report(client, interview, item, {"seconds": 5}).status_code == 403
    token = client.get(reverse("core:csrf-token"))
    assert token["Cache-Control"].startswith("max-age=0")
    assert "no-store" in token["Cache-Control"]
    answer = _report(
        client, interview, item, {"seconds": 5}, HTTP_X_CSRFTOKEN=token.json()["token"]
    )
    assert answer.json() == {"counted": 5.0}
