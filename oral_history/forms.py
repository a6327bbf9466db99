from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NativeDateInput

from .models import AccessLevel, Collection, Consent, TakedownRequest


class AccessRequestForm(forms.Form):
    purpose = forms.CharField(
        label=_("What will you use the interview for?"),
        # The label ends in a question mark: no colon after it (Chinese would show "？：").
        label_suffix="",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class TakedownForm(forms.ModelForm):
    class Meta:
        model = TakedownRequest
        fields = ["requester_name", "relationship", "contact", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}


class GrantForm(forms.Form):
    days = forms.IntegerField(label=_("Grant for (days)"), min_value=1, max_value=366, initial=30)
    note = forms.CharField(label=_("Note to the reader"), required=False, max_length=1000)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=1000)


class TranscriptForm(forms.Form):
    file = forms.FileField(label=_("WebVTT file"), required=False)
    vtt = forms.CharField(
        label=_("or edit the WebVTT text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
    )
    access_level = forms.ChoiceField(label=_("Access level"), choices=AccessLevel.choices)
    embargo_until = forms.DateField(
        label=_("Embargo until"), required=False, widget=NativeDateInput()
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            data["source"] = upload.read()
        elif data.get("vtt"):
            data["source"] = data["vtt"].encode()
        else:
            raise forms.ValidationError(_("Upload a WebVTT file or enter the text."))
        if data.get("access_level") == AccessLevel.EMBARGO and not data.get("embargo_until"):
            self.add_error("embargo_until", _("An embargo needs an end date."))
        return data


class OHMSImportForm(forms.Form):
    file = forms.FileField(label=_("OHMS XML file"))
    collection = forms.ModelChoiceField(
        label=_("Collection"),
        queryset=Collection.objects.all(),
        empty_label=_("Choose a collection"),
    )


class RedactionForm(forms.Form):
    start = forms.FloatField(label=_("From (seconds)"), min_value=0)
    end = forms.FloatField(label=_("To (seconds)"), min_value=0)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AccessForm(forms.Form):
    access_level = forms.ChoiceField(label=_("Access level"), choices=AccessLevel.choices)
    embargo_until = forms.DateField(
        label=_("Embargo until"), required=False, widget=NativeDateInput()
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)


class RecordingForm(forms.Form):
    file = forms.FileField(label=_("Master recording (audio or video)"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class ConsentForm(forms.ModelForm):
    scope = forms.MultipleChoiceField(
        label=_("Scope of use"),
        choices=Consent.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    scanned_form = forms.FileField(label=_("Scanned form (PDF or image)"), required=False)

    class Meta:
        model = Consent
        fields = ["narrator", "signed_on", "scope", "verbal_consent_at", "minor", "guardian_name",
                  "guardian_relationship", "notes"]  # fmt: skip
        widgets = {"signed_on": NativeDateInput()}

    def __init__(self, *args, interview=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if interview is not None:
            self.fields["narrator"].queryset = interview.narrators.all()
