"""Uploading an .h5p package in the admin: checked completely before anything is stored."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


class H5PUploadForm(WagtailAdminModelForm):
    package = forms.FileField(label=_("H5P package (.h5p)"), required=False)

    def clean(self):
        from courses.models import H5PLibrary

        from . import package

        data = super().clean()
        upload = data.get("package")
        if self.instance._state.adding and upload is None:
            self.add_error("package", _("Choose an .h5p file."))
        elif upload is not None:
            installed = set(H5PLibrary.objects.values_list("machine_name", "major", "minor"))
            try:
                package.read(upload, installed=installed)
            except ValidationError as error:
                self.add_error("package", error)
            upload.seek(0)
        return data
