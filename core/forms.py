from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class NativeDateInput(forms.DateInput):
    """The browser's own date picker. Its value must be ISO (``yyyy-mm-dd``) whatever the page's
    language: with the zh-hans format (``2030/01/01``) the browser shows an empty box, and a form
    sent back unchanged loses the date it had."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DisplayPreferencesForm(forms.Form):
    large_text = forms.BooleanField(label=_("Large text"), required=False)
    high_contrast = forms.BooleanField(label=_("High contrast"), required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
