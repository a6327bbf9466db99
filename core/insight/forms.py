import datetime as dt

from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import NativeDateInput

from .dashboards import Filters

MAX_DAYS = 366


def _choices(app_model: str, field: str) -> list[tuple[str, str]]:
    choices = apps.get_model(app_model)._meta.get_field(field).choices
    return [("", _("All")), *[(str(value), label) for value, label in choices]]


class FilterForm(forms.Form):
    """The period, place and readers a dashboard is about (all of it in the URL, so a view can
    be bookmarked or sent to a colleague)."""

    start = forms.DateField(label=_("From"), widget=NativeDateInput)
    end = forms.DateField(label=_("To"), widget=NativeDateInput)
    location = forms.ChoiceField(label=_("Location"), required=False)
    audience = forms.ChoiceField(label=_("Audience group"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, data=None, **kwargs) -> None:
        today = timezone.localdate()
        initial = {"start": today - dt.timedelta(days=29), "end": today}
        # Without a query the dashboard shows the last 30 days.
        if data is not None:
            data = {**{k: v.isoformat() for k, v in initial.items()}, **data.dict()}
        super().__init__(data, initial=initial, **kwargs)
        locations = apps.get_model("booking", "Location").objects.order_by("name")
        self.fields["location"].choices = [
            ("", _("All")),
            *[(str(loc.pk), loc.name) for loc in locations],
        ]
        self.fields["audience"].choices = _choices("accounts.User", "audience_group")
        self.fields["district"].choices = _choices("accounts.User", "district")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end of the period is before its start."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(
                    _("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS}
                )
            # Nothing is recorded before the platform or after today (and dates far out of
            # range would overflow the period's arithmetic).
            if start.year < 2000 or end > timezone.localdate():
                raise forms.ValidationError(_("Choose a period between the year 2000 and today."))
        return data

    def filters(self) -> Filters:
        """The chosen filters; the last 30 days where the form is not valid."""
        if not self.is_valid():
            return Filters(start=self.initial["start"], end=self.initial["end"])
        data = self.cleaned_data
        return Filters(
            start=data["start"],
            end=data["end"],
            location=data.get("location") or "",
            audience=data.get("audience") or "",
            district=data.get("district") or "",
        )


class AudienceChoiceForm(forms.Form):
    """A visitor's "I am …" on the recommendations page (a reader's group is in their profile).
    Anything not on the list is ignored, not an error: the page then shows everyone's choices."""

    audience = forms.ChoiceField(
        label=_("I am"),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the audience groups.")},
    )

    def __init__(self, *args, **kwargs):
        from accounts.models import AudienceGroup

        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = [("", _("Anyone")), *AudienceGroup.choices]


class FollowingForm(forms.Form):
    """What a reader wants to hear about: kinds of event and archive subjects (checkboxes)."""

    event_kinds = forms.MultipleChoiceField(
        label=_("Kinds of event"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("We tell you when a new one is open for booking."),
    )
    topics = forms.TypedMultipleChoiceField(
        label=_("Learning topics"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("We tell you when a new course or lesson on the topic is published."),
    )
    subjects = forms.MultipleChoiceField(
        label=_("Subjects of Liaohai Memories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("We tell you when an interview on the subject is published."),
    )

    def __init__(self, *args, **kwargs):
        from booking.models import EventKind
        from courses.models import Topic
        from oral_history.models import Subject

        super().__init__(*args, **kwargs)
        self.fields["event_kinds"].choices = EventKind.choices
        self.fields["topics"].choices = list(Topic.objects.values_list("pk", "name"))
        self.fields["subjects"].choices = [
            (str(pk), name) for pk, name in Subject.objects.values_list("pk", "name")
        ]
