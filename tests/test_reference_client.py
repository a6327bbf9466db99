"""The reference client (scripts/reference_client.py) against the live site: what an app team
would do from the published schema alone, end to end, with an app token."""

import subprocess
import sys
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from booking.models import Booking
from booking.tests.factories import ResourceFactory
from courses.models import Enrolment, LessonProgress
from courses.tests.factories import course
from ugc.models import Work

CLIENT = Path(__file__).resolve().parent.parent / "scripts" / "reference_client.py"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reference_client_books_learns_and_uploads(live_server, s3_endpoint, settings):
    settings.SITE_URL = live_server.url
    reader = UserFactory()
    ResourceFactory(kind="space", name="讨论室")
    course()
    run = subprocess.run(
        [sys.executable, str(CLIENT), live_server.url, reader.email, PASSWORD],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "booked: 讨论室" in run.stdout and "work: 参考客户端上传 private" in run.stdout
    assert Booking.objects.filter(user=reader).count() == 1
    assert Enrolment.objects.filter(user=reader).count() == 1
    assert LessonProgress.objects.filter(user=reader, completed_at__isnull=False).count() == 1
    assert Work.objects.get(owner=reader).title == "参考客户端上传"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reference_client_stops_at_a_refused_sign_in(live_server):
    reader = UserFactory()
    run = subprocess.run(
        [sys.executable, str(CLIENT), live_server.url, reader.email, "wrong-password"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and "sign-in refused (400)" in run.stderr
