"""Two rebuilds of the search index at once (two beat processes started by mistake, or the
command run during the nightly task) take turns on a lock instead of colliding."""

import threading

import pytest
from django.db import connection

from booking.tests.factories import ResourceFactory
from core import search
from core.models import SearchEntry


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_rebuilds_at_once_take_turns():
    for name in ("琴房一", "琴房二", "琴房三"):
        ResourceFactory(name=name)
    SearchEntry.objects.all().delete()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            search.rebuild()
        except BaseException as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    rows = list(SearchEntry.objects.values_list("source", "object_id"))
    assert len(rows) == len(set(rows)) >= 3
