"""The admin form for lesson videos and audio: the file goes through the media pipeline
(checked by content, transcoded, captions checked as WebVTT) rather than a plain FileField."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


class LearningMediaForm(WagtailAdminModelForm):
    upload = forms.FileField(label=_("Video or audio file"), required=False)
    captions_file = forms.FileField(label=_("Captions (WebVTT)"), required=False)

    def clean(self):
        from . import services

        data = super().clean()
        if not self.instance.asset_id and not data.get("upload"):
            self.add_error("upload", _("Choose a video or audio file."))
            return data
        # Checked here, so a wrong file is a form error and nothing is stored.
        try:
            services.check_learning_media(
                upload=data.get("upload"), captions=data.get("captions_file")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return data

    def save(self, commit: bool = True):
        from . import services

        instance = super().save(commit=False)
        services.attach_learning_media(
            media=instance,
            upload=self.cleaned_data.get("upload"),
            captions=self.cleaned_data.get("captions_file"),
        )
        if commit:
            instance.save()
        return instance
