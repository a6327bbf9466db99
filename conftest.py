"""Fixtures shared by every app's tests. Service fixtures live in tests/services.py."""

import io

import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def demo_site(db):
    """The demo pages, navigation and accounts, loaded the way `make run` loads them."""
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
