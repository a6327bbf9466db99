"""Fixtures shared by every app's tests. Service fixtures live in tests/services.py."""

import io

import pytest

from accounts.tests.factories import UserFactory


def _clear_caches() -> None:
    from django.core.cache import caches

    caches["default"].clear()
    pages = caches["pages"]
    if hasattr(pages, "_cache") and hasattr(pages._cache, "get_client"):
        # Redis (tests/services.py): only this run's and this xdist worker's keys.
        client = pages._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{pages.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        pages.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the kept copies (home page, navigation links,
    visitors' pages) are keyed by row ids, which the next test's database reuses for other
    rows."""
    _clear_caches()
    # A request earlier on this worker may have left another language active in the thread
    # (kept pages answer without the language middleware): every test starts in the site's.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    _clear_caches()


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
