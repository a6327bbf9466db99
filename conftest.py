"""Fixtures shared by every app's tests. Service fixtures live in tests/services.py."""

import io
import os

import pytest

from accounts.tests.factories import UserFactory

if os.environ.get("LIAOTU_TEST_DB_READY") == "1":

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_blocker):
        """Use the test database as it is, without running the migrations.

        Only ``scripts/mutation`` sets ``LIAOTU_TEST_DB_READY``, after it has made the test
        database afresh from the migrations. It runs the tests once per mutant, and even with
        ``--reuse-db`` pytest-django checks every migration and renders the whole model state
        each time (about 6 s, far longer than a mutant's own tests). Every test that runs
        here rolls back, so the database stays as the migrations left it.
        """
        from django.conf import settings
        from django.db import connections

        originals = {}
        for alias in connections:
            connection = connections[alias]
            originals[alias] = connection.settings_dict["NAME"]
            name = connection.creation._get_test_db_name()
            settings.DATABASES[alias]["NAME"] = name
            connection.settings_dict["NAME"] = name
            connection.close()
        yield
        # As Django's own teardown does: the next test session in this process (mutmut runs
        # several) starts from the configured names again.
        for alias, name in originals.items():
            connections[alias].close()
            settings.DATABASES[alias]["NAME"] = name
            connections[alias].settings_dict["NAME"] = name


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
