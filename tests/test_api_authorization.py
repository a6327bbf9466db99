"""Who may call what: every operation of the published schema, called as every role.

The expectations are pinned here by hand (not read back from the views' permission classes):
a visitor reaches the catalogue only; every reader reaches their own things; each staff desk
is reached by its roles alone (and the librarian administrator, who runs every desk). A second
test makes one of each thing a reader owns and calls every "me" operation on it as another
reader: each answers 404 and nothing changes.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from accounts import roles
from accounts.services import assign_role
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VISITOR, READER, OTHER_READER, MAKER = "visitor", "reader", "other reader", "maker"
TECHNICIAN, MODERATOR, ARCHIVIST, LIBRARIAN = (
    roles.TECHNICIAN,
    roles.MODERATOR,
    roles.ARCHIVIST,
    roles.LIBRARIAN_ADMIN,
)
EVERY_ROLE = (VISITOR, READER, OTHER_READER, MAKER, TECHNICIAN, MODERATOR, ARCHIVIST, LIBRARIAN)
SIGNED_IN = set(EVERY_ROLE) - {VISITOR}

#: Staff desks: the paths under /api/v1/staff/ and the roles that run them.
DESKS = {
    r"^/api/v1/staff/(check-in|approvals|bookings)/": {TECHNICIAN, LIBRARIAN},
    r"^/api/v1/staff/(print-farm|print-jobs|printers)/": {TECHNICIAN, LIBRARIAN},
    r"^/api/v1/staff/(moderation|works)/": {MODERATOR, LIBRARIAN},
    r"^/api/v1/staff/access-requests/": {ARCHIVIST, LIBRARIAN},
}
#: Operations outside /me/ and /staff/ that still need a signed-in reader.
ACTIONS = {
    "POST /api/v1/events/{id}/book/",
    "POST /api/v1/events/{id}/waitlist/",
    "POST /api/v1/courses/{id}/enrol/",
    "POST /api/v1/lessons/{id}/quizzes/{quiz}/answers/",
}


def who_may(label: str) -> set[str]:
    method, path = label.split(" ", 1)
    for pattern, allowed in DESKS.items():
        if re.match(pattern, path):
            return allowed
    assert not path.startswith("/api/v1/staff/"), f"{label}: which desk is it? Add it to DESKS."
    if path.startswith("/api/v1/me/") or label in ACTIONS:
        return SIGNED_IN
    assert method == "GET", f"{label}: a change anyone may make? Add it to ACTIONS if not."
    return set(EVERY_ROLE)


def _client(role: str) -> Client:
    client = Client()
    if role == VISITOR:
        return client
    user = UserFactory()
    if role == MAKER:
        assign_role(user=user, role=roles.MAKER)
    elif role not in (READER, OTHER_READER):
        assign_role(user=user, role=role)
        TOTP.activate(user, pyotp.random_base32())
    client.force_login(user)
    return client


def _operations(client: Client) -> list[tuple[str, str, str]]:
    """(method, path template, the path with placeholder ids of the right types)."""
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            concrete = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    concrete = concrete.replace(
                        "{" + parameter["name"] + "}", _placeholder(parameter["schema"])
                    )
            found.append((method.upper(), path, concrete))
    return sorted(found)


def _placeholder(schema: dict) -> str:
    """An id that names nothing: the answer is decided by who asks, before any lookup (a 404
    for someone allowed, a 401/403 for anyone else)."""
    if schema.get("type") == "integer":
        return "999999"
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "no-such-thing"


def test_every_operation_as_every_role():
    clients = {role: _client(role) for role in EVERY_ROLE}
    operations = _operations(clients[VISITOR])
    assert len(operations) >= 60
    wrong = []
    for method, path, concrete in operations:
        label = f"{method} {path}"
        allowed = who_may(label)
        for role, client in clients.items():
            response = client.generic(method, concrete, data="{}", content_type="application/json")
            status = response.status_code
            if role in allowed:
                ok = status not in (401, 403)
            elif role == VISITOR:
                ok = status == 401
            else:
                ok = status == 403 and response.json()["code"] == "forbidden"
            if not ok:
                wrong.append(f"{label} as {role}: {status}")
    assert wrong == []


def test_nobody_reaches_another_readers_things_by_id(s3_endpoint):
    """Each thing a reader owns, asked for by another reader through every operation that
    takes its id: 404, and it is unchanged."""
    from booking.models import Booking, WaitlistEntry
    from booking.services import book_resource
    from booking.tests.factories import ResourceFactory, local
    from core.services import notify
    from makerspace.models import JobStatus, PrintJob
    from oral_history.models import AccessRequest
    from oral_history.tests.factories import InterviewFactory
    from ugc.tests.factories import make_work

    owner = UserFactory()
    booking = book_resource(
        user=owner,
        resource=ResourceFactory(),
        starts_at=local(2, 10),
        ends_at=local(2, 11),
        booked_by=owner,
    )
    work = make_work(owner)
    job = PrintJob.objects.create(
        source=work.asset.original,
        owner=owner,
        title="齿轮",
        status=JobStatus.ESTIMATED,
        profile="mk4",
        nozzle_mm=Decimal("0.40"),
        material="PLA",
    )
    notice = notify(user=owner, message="您的通知")
    request = AccessRequest.objects.create(
        interview=InterviewFactory(), reader=owner, purpose="研究"
    )
    waiting = WaitlistEntry.objects.create(
        user=owner,
        resource=booking.resource,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
    )
    ids = {"bookings": booking.pk, "print-jobs": job.pk, "works": work.pk, "waitlist": waiting.pk}

    intruder = _client(OTHER_READER)
    tried = []
    for method, path, _concrete in _operations(intruder):
        match = re.match(r"^/api/v1/me/([a-z-]+)/\{[a-z_]+\}/", path)
        if not match:
            continue
        target = ids[match.group(1)]
        concrete = re.sub(r"\{[a-z_]+\}", str(target), path, count=1)
        response = intruder.generic(method, concrete, data="{}", content_type="application/json")
        assert response.status_code == 404, (method, path, response.status_code)
        tried.append(f"{method} {path}")
    assert len(tried) >= 12
    # Lists of the intruder hold none of the owner's things.
    for listing in (
        "bookings",
        "print-jobs",
        "works",
        "waitlist",
        "notifications",
        "access-requests",
        "courses",
        "badges",
        "certificates",
    ):
        assert intruder.get(f"/api/v1/me/{listing}/").json()["results"] == [], listing
    booking.refresh_from_db()
    job.refresh_from_db()
    work.refresh_from_db()
    request.refresh_from_db()
    notice.refresh_from_db()
    assert booking.status == Booking.objects.get(pk=booking.pk).status
    assert booking.is_active and job.status == JobStatus.ESTIMATED and work.state == "private"
    assert request.status == "pending" and notice.read_at is None
    assert WaitlistEntry.objects.get(pk=waiting.pk).status == "waiting"
