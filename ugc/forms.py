from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from media.sniff import MediaKind

from .models import Collection, Licence, Work


class TagField(forms.CharField):
    """Tags typed as one line, separated by commas (Chinese or Latin) or spaces."""

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        for separator in ("，", "、", ";", "；", " "):
            text = text.replace(separator, ",")
        return [tag.strip() for tag in text.split(",") if tag.strip()][:10]


class WorkForm(forms.ModelForm):
    tags = TagField(
        label=_("Tags"),
        required=False,
        help_text=_("Up to 10, separated by commas, for example: 沈阳, 老照片"),
    )

    class Meta:
        model = Work
        fields = ["title", "description", "licence", "language", "collection"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "description": _(
                "Plain text: paragraphs and line breaks are kept as you type them, and web "
                "addresses become links."
            ),
            "licence": _("How others may use your work. Creative Commons licences allow sharing."),
        }

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = Collection.objects.filter(owner=owner)
        self.fields["collection"].empty_label = _("No album")
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags.names())


class NewWorkForm(WorkForm):
    upload = forms.UUIDField(widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ModerationForm(forms.Form):
    ACTIONS = {
        "approve": _("Approve"),
        "reject": _("Reject"),
        "take_down": _("Take down"),
        "dismiss": _("Keep published and close the reports"),
    }
    # What a moderator can decide about a work in each state (the services check again).
    BY_STATE = {
        "pending": ("approve", "reject"),
        "published": ("take_down", "dismiss"),
    }

    action = forms.ChoiceField(label=_("Decision"), choices=list(ACTIONS.items()))
    reason = forms.CharField(
        label=_("Reason (sent to the reader)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, state: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if state in self.BY_STATE:
            self.fields["action"].choices = [
                (key, self.ACTIONS[key]) for key in self.BY_STATE[state]
            ]


class GalleryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *MediaKind.choices]
    )
    licence = forms.ChoiceField(
        label=_("Licence"), required=False, choices=[("", _("All licences")), *Licence.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)


def upload_settings() -> dict:
    return {
        "chunkSize": settings.MEDIA_UPLOAD_CHUNK_BYTES,
        "endpoint": "/files/uploads/",
    }


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CaptionsForm(forms.Form):
    captions = forms.FileField(
        label=_("Captions (WebVTT file)"),
        help_text=_(
            "Required before a video or audio work can be submitted for publication: captions "
            "let deaf and hard-of-hearing readers follow it."
        ),
    )


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
