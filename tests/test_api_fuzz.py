"""schemathesis against the live OpenAPI schema: every operation, as a visitor, as a reader and
as staff, with data generated from the schema (positive) and with hostile data (negative: wrong
types, huge numbers, strings of every kind, missing fields). Nothing may be a server error, and
every answer must match the schema it documents: status codes, content types and bodies.

The operations are driven here rather than through schemathesis' pytest plugin, whose lazy
fixtures do not combine with pytest-django's database fixtures."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from accounts.tests.factories import UserFactory
from booking.tests.factories import EventFactory, ResourceFactory, staff_member
from makerspace.tests.factories import PrinterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calls go to the WSGI application directly, whose request signals would close the test's
    database connection (and its transaction); Django's test client holds them off the same
    way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


CSRF = "k" * 32  # a CSRF secret sent as both cookie and header, as a browser page would
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
EXAMPLES = 6
NO_NEGATIVE_DATA = ["GET /api/v1/resources/{slug}/"]  # its one parameter is any string


def _session_headers(user) -> dict[str, str]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def _fuzz(headers: dict[str, str], mode: GenerationMode) -> list[str]:
    from config.wsgi import application

    ResourceFactory(slug="studio-a", name="录音室")
    EventFactory(title="剪纸课", capacity=3)
    PrinterFactory()
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    done: list[str] = []
    unsatisfiable: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        takes = len(operation.path_parameters) + len(operation.query) + len(operation.body)
        if mode is GenerationMode.NEGATIVE and not takes:
            continue  # nothing to send wrong: no parameters and no body

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # Negative data cannot be made for it: every parameter it takes is a free string
            # (the tests pin which operations these are).
            assert mode is GenerationMode.NEGATIVE, operation.label
            unsatisfiable.append(operation.label)
            continue
        done.append(operation.label)
    assert sorted(unsatisfiable) == sorted(
        NO_NEGATIVE_DATA if mode is GenerationMode.NEGATIVE else []
    )
    return done


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_as_a_visitor(mode):
    done = _fuzz({}, mode)
    assert "GET /api/v1/events/{id}/" in done and "POST /api/v1/me/bookings/" in done


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_as_a_reader(mode):
    assert _fuzz(_session_headers(UserFactory()), mode)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_as_staff(mode):
    assert _fuzz(_session_headers(staff_member()), mode)
