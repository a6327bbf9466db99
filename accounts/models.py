import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AudienceGroup(models.TextChoices):
    """Who a reader is, as far as learning recommendations are concerned."""

    CHILD = "child", _("Child")
    TEEN = "teen", _("Teenager")
    ADULT = "adult", _("Adult")
    SENIOR = "senior", _("Senior")
    JOB_SEEKER = "job_seeker", _("Job seeker")
    MIGRANT_WORKER = "migrant_worker", _("Migrant worker")
    DISABILITY = "disability", _("Person with a disability")


class District(models.TextChoices):
    """Where a reader lives, for the library's service-area statistics: Shenyang's districts and
    counties one by one (most readers come from the city), then the rest of Liaoning and beyond."""

    HEPING = "heping", _("Heping District")
    SHENHE = "shenhe", _("Shenhe District")
    DADONG = "dadong", _("Dadong District")
    HUANGGU = "huanggu", _("Huanggu District")
    TIEXI = "tiexi", _("Tiexi District")
    SUJIATUN = "sujiatun", _("Sujiatun District")
    HUNNAN = "hunnan", _("Hunnan District")
    SHENBEI = "shenbei", _("Shenbei New District")
    YUHONG = "yuhong", _("Yuhong District")
    LIAOZHONG = "liaozhong", _("Liaozhong District")
    SHENYANG_COUNTIES = "shenyang_counties", _("Xinmin, Kangping or Faku")
    LIAONING = "liaoning", _("Elsewhere in Liaoning")
    ELSEWHERE = "elsewhere", _("Outside Liaoning")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


library_card_validator = RegexValidator(
    r"^[0-9A-Za-z-]{4,32}$",
    _("A library card number has 4 to 32 letters, digits or hyphens."),
)


class User(AbstractUser):
    """A reader or a member of staff, signing in by email.

    Profile fields live on the user row itself: every page needs the display mode and language,
    and a separate profile table would cost a query or a join on each request.
    """

    username = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    library_card_number = models.CharField(
        _("library card number"),
        max_length=32,
        blank=True,
        validators=[library_card_validator],
        help_text=_("Optional: the number on your reader's card (读者证号)."),
    )
    audience_group = models.CharField(
        _("audience group"),
        max_length=20,
        choices=AudienceGroup.choices,
        blank=True,
        help_text=_("Used to recommend learning paths for you."),
    )
    district = models.CharField(
        _("district"),
        max_length=20,
        choices=District.choices,
        blank=True,
        help_text=_("Where you live, counted only in the library's statistics."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    large_text = models.BooleanField(_("large text"), default=False)
    high_contrast = models.BooleanField(_("high contrast"), default=False)
    reduce_motion = models.BooleanField(_("reduce motion"), default=False)
    captions_by_default = models.BooleanField(_("always show captions"), default=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["library_card_number"],
                condition=~models.Q(library_card_number=""),
                name="accounts_user_library_card_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def public_name(self) -> str:
        """How the reader appears to others (next to their works and comments): the display
        name they chose, or else a stable pseudonym, never their e-mail address."""
        if self.display_name:
            return self.display_name
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"public-name:{self.pk}".encode(), hashlib.sha256
        ).hexdigest()
        return gettext("Reader %(code)s") % {"code": digest[:6].upper()}

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]
