from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

# The booking engine's weekdays (Python's date.weekday(): Monday is 0), shared by opening hours.
from booking.models import Weekday
from core.pages import QuickServe, route_in_one_query

from .blocks import BodyBlock


class HomePage(QuickServe, Page):
    """The front door: a welcome, and tiles into learning, the maker space, memories and works."""

    hero_title = models.CharField(_("welcome heading"), max_length=80)
    hero_text = models.TextField(_("welcome text"), max_length=400, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True, use_json_field=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("hero_title"), FieldPanel("hero_text")], heading=_("Welcome")),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("hero_text"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1
    template = "cms/home_page.html"

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        # Every address of the site starts here: found in one query (core.pages).
        if not path_components:
            return super().route(request, path_components)
        return route_in_one_query(self, request, path_components)

    def get_context(self, request, *args, **kwargs):
        from django.utils.functional import SimpleLazyObject
        from wagtail.models import Site

        from courses.selectors import continue_learning

        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        site = Site.find_for_request(request) or self.get_site()
        # Read by the template inside its kept part ({% shared %}), so that the part depends on
        # it, and not read at all when the part is served from its copy.
        context["whats_on"] = SimpleLazyObject(lambda: selectors.whats_on(site))
        if request.user.is_authenticated:
            # A signed-in reader finds their own things first: the lesson to resume, the next
            # booking, print jobs, their works' state and the archive's answers.
            mine = selectors.mine(request.user)
            context.update(
                continue_learning=continue_learning(request.user),
                next_booking=next(iter(mine["booking"]), None),
                print_jobs=mine["print"],
                my_works=mine["work"],
                access_decisions=mine["request"],
            )
        return context


class StandardPage(QuickServe, Page):
    """A general content page: about us, opening hours, rules, a section's introduction."""

    introduction = models.TextField(_("introduction"), max_length=500, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    template = "cms/standard_page.html"

    class Meta:
        verbose_name = _("standard page")


@dataclass(frozen=True)
class MenuLink:
    label_zh: str
    label_en: str
    href: str

    @property
    def label(self) -> str:
        """The label in the page's language (the Chinese one when no English one was given)."""
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return self.label_en if english and self.label_en else self.label_zh


class LinkFields(models.Model):
    label = models.CharField(_("label"), max_length=40)
    label_en = models.CharField(
        _("label in English"),
        max_length=40,
        blank=True,
        help_text=_("Shown when the site is in English; the Chinese label otherwise."),
    )
    link_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    link_url = models.CharField(
        _("or an address"), max_length=300, blank=True, help_text=_("For example /accounts/login/")
    )

    panels = [
        FieldPanel("label"),
        FieldPanel("label_en"),
        PageChooserPanel("link_page"),
        FieldPanel("link_url"),
    ]

    class Meta:
        abstract = True

    @property
    def href(self) -> str:
        if self.link_page_id:
            return self.link_page.url or "#"
        return self.link_url or "#"


@register_setting(icon="list-ul")
class NavigationSettings(BaseSiteSetting, ClusterableModel):
    panels = [InlinePanel("items", label=_("Main navigation"))]

    class Meta:
        verbose_name = _("navigation")

    def __str__(self) -> str:
        return str(_("Navigation for %(site)s") % {"site": self.site})


class NavigationItem(Orderable, LinkFields):
    settings = ParentalKey(NavigationSettings, related_name="items", on_delete=models.CASCADE)

    def __str__(self) -> str:
        return self.label


@register_setting(icon="doc-full")
class FooterSettings(BaseSiteSetting, ClusterableModel):
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    note = RichTextField(_("note"), blank=True, features=["bold", "italic", "link"])

    panels = [
        FieldPanel("address"),
        FieldPanel("opening_hours"),
        FieldPanel("phone"),
        FieldPanel("note"),
        InlinePanel("links", label=_("Footer links")),
    ]

    class Meta:
        verbose_name = _("footer")

    def __str__(self) -> str:
        return str(_("Footer for %(site)s") % {"site": self.site})


@register_setting(icon="time")
class OpeningHoursSettings(BaseSiteSetting, ClusterableModel):
    """The library's opening hours per weekday, shown on the home page as "open today".

    The booking engine keeps hours per location for what can be booked; these are the hours of
    the library as a whole that librarians announce to visitors.
    """

    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("For example: hours on public holidays are announced separately."),
    )

    panels = [FieldPanel("note"), InlinePanel("days", label=_("Days"))]

    class Meta:
        verbose_name = _("opening hours")

    def __str__(self) -> str:
        return str(_("Opening hours for %(site)s") % {"site": self.site})


class OpeningHoursDay(Orderable):
    settings = ParentalKey(OpeningHoursSettings, related_name="days", on_delete=models.CASCADE)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)

    panels = [FieldPanel("weekday"), FieldPanel("opens"), FieldPanel("closes")]

    class Meta:
        verbose_name = _("opening day")
        verbose_name_plural = _("opening days")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(opens__isnull=True) & models.Q(closes__isnull=True))
                | models.Q(closes__gt=models.F("opens")),
                name="cms_opening_day_order",
            )
        ]

    def __str__(self) -> str:
        return self.get_weekday_display()

    @property
    def is_closed(self) -> bool:
        return self.opens is None or self.closes is None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if (self.opens is None) != (self.closes is None):
            raise ValidationError(
                _("Give both the opening and the closing time, or neither for a closed day.")
            )
        if self.opens is not None and self.closes <= self.opens:
            raise ValidationError({"closes": _("The library must close after it opens.")})


class FooterLink(Orderable, LinkFields):
    settings = ParentalKey(FooterSettings, related_name="links", on_delete=models.CASCADE)

    def __str__(self) -> str:
        return self.label
