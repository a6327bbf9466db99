"""Listings in the Wagtail admin say yes or no in the staff member's language."""

import pytest
from django.utils import translation

from booking.models import Resource
from core.admin_columns import yes_no


@pytest.mark.parametrize(("value", "shown"), [(True, "是"), (False, "否"), (None, "—")])
def test_a_boolean_reads_as_yes_or_no(value, shown):
    column = yes_no(Resource, "is_active")

    class Row:
        is_active = value

    with translation.override("zh-hans"):
        assert str(column.get_value(Row())) == shown
        assert str(column.label) == str(Resource._meta.get_field("is_active").verbose_name)
    assert column.sort_key == "is_active"
