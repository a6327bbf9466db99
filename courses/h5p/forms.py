"""Uploading an .h5p package in the admin: checked completely before anything is stored."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


class H5PUploadForm(WagtailAdminModelForm):
    package = forms.FileField(label=_("H5P package (.h5p)"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.checked = None  # the checked package, stored by the create view
        if not self.instance._state.adding:
            # A stored activity keeps its package; only its title can be edited.
            self.fields["package"].disabled = True

    def clean(self):
        from . import package, review, services

        data = super().clean()
        if not self.instance._state.adding:
            return data
        upload = data.get("package")
        if upload is None:
            self.add_error("package", _("Choose an .h5p file."))
            return data
        try:
            self.checked = package.read(upload, installed=services.installed_libraries())
            review.check_allowlist(review.new_libraries(self.checked))
        except ValidationError as error:
            self.checked = None
            self.add_error("package", error)
        return data
