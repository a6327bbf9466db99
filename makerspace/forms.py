"""Forms for makers and technicians. Checks that need the database or the file's content live in
services; forms only shape input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from . import slicer
from .models import Material, Printer


class PrintJobForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    # Not required here: a file kept from an earlier try (see views.submit) may stand for it.
    file = forms.FileField(
        label=_("Model or G-code"),
        required=False,
        help_text=_("STL or 3MF (sliced by the library), or G-code sliced for the printer type."),
    )
    profile = forms.ChoiceField(label=_("Printer type"))
    material = forms.ChoiceField(label=_("Material"), choices=Material.choices)
    colour = forms.CharField(
        label=_("Colour"),
        max_length=30,
        required=False,
        help_text=_("Leave empty if any colour will do."),
    )
    quantity = forms.IntegerField(label=_("Copies"), min_value=1, max_value=20, initial=1)
    notes = forms.CharField(
        label=_("Notes for the technician"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, profiles: list[str], colours: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [(name, slicer.type_name(name)) for name in profiles]
        self.fields["colour"].widget.attrs["list"] = "colours"
        self.colours = colours


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    priority = forms.IntegerField(label=_("Priority"), initial=0, min_value=-100, max_value=100)


class StudioUploadForm(forms.Form):
    booking = forms.UUIDField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=120)
    file = forms.FileField(label=_("Raw recording (audio or video)"))
    chapters = forms.CharField(
        label=_("Chapter markers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, e.g. “05:30 Second song”. Leave empty for none."),
    )
    trim_silence = forms.BooleanField(
        label=_("Trim silence at both ends"), required=False, initial=True
    )


class PrinterForm(WagtailAdminModelForm):
    """The API key is write-only: stored encrypted, never shown again; empty keeps the old one."""

    api_key = forms.CharField(
        label=_("OctoPrint API key"),
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "profile" in self.fields:
            self.fields["profile"] = forms.ChoiceField(
                label=_("Printer type (slicer profile)"), choices=slicer.profile_choices()
            )
            self.fields["profile"].initial = self.instance.profile or None
        field = self.fields["api_key"]
        field.help_text = (
            _("A key is stored. Leave empty to keep it, or enter a new one to replace it.")
            if self.instance.has_api_key
            else _("From OctoPrint: Settings → Application Keys (or the global API key).")
        )

    def save(self, commit: bool = True) -> Printer:
        instance = super().save(commit=False)
        if self.cleaned_data.get("api_key"):
            instance.set_api_key(self.cleaned_data["api_key"])
        if commit:
            instance.save()
            self.save_m2m()
        return instance
