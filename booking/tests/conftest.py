"""Fixtures shared by the booking pages' tests."""

import pytest

from accounts.tests.factories import sign_in

from .factories import ResourceFactory


@pytest.fixture
def studio(db):
    """A bookable recording studio, the resource most page tests book."""
    return ResourceFactory(kind="studio", name="录音室", slug="recording-studio")


@pytest.fixture
def reader_client(client, user):
    """The test client signed in as ``user`` (a reader with a verified e-mail address)."""
    assert sign_in(client, user.email)
    return client
