"""Fixtures shared by every app's tests. Service fixtures live in tests/services.py."""

import io

import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the kept copies (home page, navigation links) are
    keyed by row ids, which the next test's database reuses for other rows."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def demo_site(db):
    """The demo accounts, pages and navigation, loaded the way `make run` loads them.

    Demo works are left out: generating and processing sixty media files would add many
    seconds to every test that only needs the site's pages.
    """
    from django.core.management import call_command

    call_command("seed_demo", "--only", "accounts", "cms", stdout=io.StringIO())
