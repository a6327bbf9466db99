"""Native date pickers get ISO values, whatever the page's language."""

import datetime as dt

from django import forms
from django.utils import translation

from core.forms import NativeDateInput
from oral_history.forms import AccessForm


class _Form(forms.Form):
    day = forms.DateField(widget=NativeDateInput())


def test_a_date_is_rendered_as_iso_in_chinese_and_in_english():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(_Form(initial={"day": dt.date(2030, 1, 1)})["day"])
        assert 'type="date"' in html
        assert 'value="2030-01-01"' in html, (language, html)


def test_the_archive_access_form_keeps_an_embargo_date_when_sent_back_unchanged():
    with translation.override("zh-hans"):
        html = str(AccessForm(initial={"embargo_until": dt.date(2030, 1, 1)})["embargo_until"])
    assert 'value="2030-01-01"' in html
    sent = {"access_level": "embargo", "embargo_until": "2030-01-01", "reason": "x"}
    form = AccessForm(data=sent)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["embargo_until"] == dt.date(2030, 1, 1)
