from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import NativeDateInput

from .models import Location, Resource, ResourceKind


def duration_choices(resource: Resource) -> list[tuple[int, str]]:
    choices = []
    minutes = resource.min_duration_minutes
    while minutes <= resource.max_duration_minutes:
        hours, rest = divmod(minutes, 60)
        if hours and rest:
            label = _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
        elif hours:
            label = _("%(h)s h") % {"h": hours}
        else:
            label = _("%(m)s min") % {"m": rest}
        choices.append((minutes, label))
        minutes += resource.slot_minutes
    return choices


class SlotForm(forms.Form):
    """A start time (local to the resource's location) and a length, as the grid submits them."""

    start = forms.DateTimeField(
        label=_("Start"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    duration = forms.TypedChoiceField(label=_("Length"), coerce=int)
    note = forms.CharField(label=_("Purpose (optional)"), required=False, max_length=300)

    def __init__(self, *args, resource: Resource, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.fields["duration"].choices = duration_choices(resource)

    def clean_start(self) -> datetime:
        value = self.cleaned_data["start"]
        # The form's field is naive wall-clock time at the resource's location.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.resource.location.tz)

    def interval(self) -> tuple[datetime, datetime]:
        start = self.cleaned_data["start"]
        return start, start + timedelta(minutes=self.cleaned_data["duration"])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=8)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class CalendarFilterForm(forms.Form):
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.all(), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *ResourceKind.choices], required=False
    )
    day = forms.DateField(label=_("From"), required=False, widget=NativeDateInput())
    span = forms.ChoiceField(
        label=_("Show"), choices=[("day", _("One day")), ("week", _("One week"))], required=False
    )


class StaffBookingForm(forms.Form):
    reader = forms.EmailField(label=_("Reader's e-mail address"))
    resource = forms.ModelChoiceField(
        label=_("Resource"), queryset=Resource.objects.select_related("location")
    )
    start = forms.DateTimeField(
        label=_("Start"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration = forms.IntegerField(label=_("Length (minutes)"), min_value=5, max_value=24 * 60)
    weeks = forms.IntegerField(
        label=_("Repeat weekly, number of weeks"), min_value=1, max_value=52, initial=1
    )
    note = forms.CharField(label=_("Purpose"), required=False, max_length=300)
    override_reason = forms.CharField(
        label=_("Override the rules, because"),
        required=False,
        max_length=300,
        help_text=_("Leave empty to apply every rule. A reason is recorded with the booking."),
    )

    def clean_reader(self) -> User:
        email = self.cleaned_data["reader"]
        reader = User.objects.filter(email__iexact=email, is_active=True).first()
        if reader is None:
            raise forms.ValidationError(_("No active reader has this e-mail address."))
        return reader

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("resource"):
            naive = timezone.make_naive(data["start"])
            data["start"] = naive.replace(tzinfo=data["resource"].location.tz)
        return data
