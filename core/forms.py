from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DisplayPreferencesForm(forms.Form):
    large_text = forms.BooleanField(label=_("Large text"), required=False)
    high_contrast = forms.BooleanField(label=_("High contrast"), required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
