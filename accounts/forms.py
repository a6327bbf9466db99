from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AudienceGroup, District, User


class SignupProfileForm(forms.Form):
    """Extra sign-up fields (allauth's ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("Shown next to things you publish. You can leave it empty."),
    )
    audience_group = forms.ChoiceField(
        label=_("Which group describes you best?"),
        # The label ends in a question mark: no colon after it (Chinese would show "？：").
        label_suffix="",
        choices=[("", _("Prefer not to say")), *AudienceGroup.choices],
        required=False,
        help_text=_("Used only to recommend learning paths."),
    )

    def signup(self, request, user: User) -> None:
        services.apply_signup_profile(
            user=user,
            display_name=self.cleaned_data.get("display_name", ""),
            audience_group=self.cleaned_data.get("audience_group", ""),
            language=get_language() or settings.LANGUAGE_CODE,
        )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = services.PROFILE_FIELDS
        widgets = {"audience_group": forms.Select, "district": forms.Select}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["audience_group"].choices = [
            ("", _("Prefer not to say")),
            *AudienceGroup.choices,
        ]
        self.fields["district"].choices = [("", _("Prefer not to say")), *District.choices]


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and personal data will be removed for good."),
        required=True,
    )
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password
