"""Every list of the API costs the same number of queries for one row as for several: each
list operation of the published schema is read (as the librarian administrator, who may read
every one) with one thing of each kind, and again with four."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.services import assign_role
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

#: Lists whose rows are made below; a new list operation must be added here (and made below).
LISTS = {
    "/api/v1/courses/",
    "/api/v1/equipment/",
    "/api/v1/events/",
    "/api/v1/interviews/",
    "/api/v1/learning-paths/",
    "/api/v1/resources/",
    "/api/v1/works/",
    "/api/v1/me/access-requests/",
    "/api/v1/me/badges/",
    "/api/v1/me/bookings/",
    "/api/v1/me/certificates/",
    "/api/v1/me/courses/",
    "/api/v1/me/notifications/",
    "/api/v1/me/print-jobs/",
    "/api/v1/me/waitlist/",
    "/api/v1/me/works/",
    "/api/v1/staff/access-requests/",
    "/api/v1/staff/approvals/",
    "/api/v1/staff/moderation/",
}


def _add_one_of_each(me, n: int) -> None:
    from booking.models import WaitlistEntry
    from booking.services import book_resource
    from booking.tests.factories import EventFactory, ResourceFactory, local
    from core.services import notify
    from courses import services as learning
    from courses.models import Assertion, Certificate
    from courses.tests.factories import badge, course, path_with
    from makerspace.models import JobStatus, PrintJob
    from makerspace.tests.factories import EquipmentFactory
    from oral_history.models import AccessLevel, AccessRequest
    from oral_history.tests.factories import InterviewFactory
    from ugc.models import Work, WorkState
    from ugc.tests.factories import make_work

    EventFactory(starts_at=local(3 + n, 14))
    resource = ResourceFactory(requires_approval=True)
    EquipmentFactory()
    made = course(title=f"课程{n}")
    path_with(made)
    learning.enrol(user=me, course=made)
    Assertion.objects.create(
        badge=badge(slug=f"b-{uuid.uuid4().hex[:8]}"), user=me, course=made, salt="s", identity="i"
    )
    Certificate.objects.create(
        code=uuid.uuid4().hex[:12].upper(),
        user=me,
        course=made,
        learner_name="读者",
        course_title=made.title,
        issued_on=timezone.localdate(),
    )
    published = make_work(UserFactory(), title=f"作品{n}", tags=["街景"])
    Work.objects.filter(pk=published.pk).update(
        state=WorkState.PUBLISHED, published_at=timezone.now()
    )
    pending = make_work(UserFactory(), title=f"待审{n}")
    Work.objects.filter(pk=pending.pk).update(state=WorkState.PENDING_REVIEW)
    mine = make_work(me, title=f"我的{n}", tags=["老照片"])
    PrintJob.objects.create(
        source=mine.asset.original,
        owner=me,
        title=f"零件{n}",
        status=JobStatus.ESTIMATED,
        profile="mk4",
        nozzle_mm=Decimal("0.40"),
        material="PLA",
    )
    booking = book_resource(
        user=me,
        resource=resource,
        starts_at=local(2, 9 + n),
        ends_at=local(2, 10 + n),
        booked_by=me,
    )
    reader = UserFactory()  # a reader's booking waits for approval (staff's own do not)
    book_resource(
        user=reader,
        resource=resource,
        starts_at=local(4, 9 + n),
        ends_at=local(4, 10 + n),
        booked_by=reader,
    )
    WaitlistEntry.objects.create(
        user=me,
        resource=resource,
        starts_at=booking.starts_at + timedelta(days=1),
        ends_at=booking.ends_at + timedelta(days=1),
    )
    notify(user=me, message=f"通知{n}")
    interview = InterviewFactory(access_level=AccessLevel.REQUEST)
    AccessRequest.objects.create(interview=interview, reader=me, purpose="研究")


def test_every_list_costs_the_same_for_one_row_as_for_four(s3_endpoint):
    me = UserFactory()
    assign_role(user=me, role=roles.LIBRARIAN_ADMIN)
    TOTP.activate(me, pyotp.random_base32())
    client = Client()
    client.force_login(me)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listed = {
        path
        for path, operations in schema["paths"].items()
        if "get" in operations
        and "{" not in path
        and "cursor" in {p["name"] for p in operations["get"].get("parameters", [])}
    }
    assert listed == LISTS

    def queries() -> dict[str, tuple[int, int]]:
        counts = {}
        for path in sorted(LISTS):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            assert response.status_code == 200, (path, response.content)
            counts[path] = (len(captured), len(response.json()["results"]))
        return counts

    _add_one_of_each(me, 0)
    one = queries()
    for n in range(1, 4):
        _add_one_of_each(me, n)
    four = queries()
    grew = {path: (one[path][0], four[path][0]) for path in LISTS if four[path][0] != one[path][0]}
    assert grew == {}
    assert [path for path in sorted(LISTS) if four[path][1] <= one[path][1]] == []
