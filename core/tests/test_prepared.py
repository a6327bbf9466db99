"""core.prepared: the ORM's statement written once, each caller's values bound to it."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.prepared import NotPreparable, Prepared

pytestmark = pytest.mark.django_db


def _joined_since(*, since: datetime, least: int):
    return (
        get_user_model()
        .objects.filter(date_joined__gte=since, pk__gte=least)
        .order_by("pk")
        .values_list("pk", "email")
    )


def test_each_call_binds_its_own_values_to_one_statement():
    User = get_user_model()
    old = User.objects.create_user(email="old@example.cn", password="x")
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=30))
    new = User.objects.create_user(email="new@example.cn", password="x")
    prepared = Prepared(_joined_since, since=datetime, least=int)
    week_ago = timezone.now() - timedelta(days=7)
    with CaptureQueriesContext(connection) as first:
        assert prepared.rows(since=week_ago, least=0) == [(new.pk, new.email)]
    year_ago = timezone.now() - timedelta(days=365)
    assert prepared.rows(since=year_ago, least=0) == [(old.pk, old.email), (new.pk, new.email)]
    with CaptureQueriesContext(connection) as later:
        assert prepared.rows(since=year_ago, least=new.pk) == [(new.pk, new.email)]
    # The same text each time; only the values differ.
    assert first[0]["sql"].split("WHERE")[0] == later[0]["sql"].split("WHERE")[0]
    assert len(later) == 1


def test_a_statement_whose_text_depends_on_a_value_is_refused():
    def inlined(*, least: int):
        # A slice is written into the SQL, not passed as a parameter.
        return get_user_model().objects.values_list("pk")[: abs(least) % 7 + 1]

    with pytest.raises(NotPreparable):
        Prepared(inlined, least=int).rows(least=3)


def test_every_value_must_be_given_and_no_other():
    prepared = Prepared(_joined_since, since=datetime, least=int)
    with pytest.raises(TypeError):
        prepared.rows(since=timezone.now())
    with pytest.raises(TypeError):
        prepared.rows(since=timezone.now(), least=1, more=2)


def test_a_prepared_list_pages_with_a_count_and_a_slice():
    from django.db.models import F, Func

    from core.prepared import PreparedList

    User = get_user_model()
    users = [User.objects.create_user(email=f"p{n}@example.cn", password="x") for n in range(5)]
    least = users[0].pk
    rows = Prepared(
        lambda *, least: get_user_model().objects.filter(pk__gte=least).order_by("pk")
        .values_list("email"),
        least=int,
    )  # fmt: skip
    count = Prepared(
        lambda *, least: get_user_model().objects.filter(pk__gte=least).order_by()
        .annotate(n=Func(F("pk"), function="COUNT")).values_list("n"),
        least=int,
    )  # fmt: skip
    listed = PreparedList(rows, count, lambda row: row[0], least=least)
    assert listed.count() == len(listed) == 5
    assert listed[1:3] == ["p1@example.cn", "p2@example.cn"]
    assert listed[4:10] == ["p4@example.cn"]
    with pytest.raises(TypeError):
        listed[2]
    empty = PreparedList(rows, count, lambda row: row[0], least=users[-1].pk + 1)
    assert empty.count() == 0 and empty[0:20] == []
