from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .blocks import BodyBlock


class HomePage(Page):
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

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import continue_learning

        context = super().get_context(request, *args, **kwargs)
        # A signed-in learner finds the lesson to resume on the front page.
        context["continue_learning"] = continue_learning(request.user)
        return context


class StandardPage(Page):
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


class LinkFields(models.Model):
    label = models.CharField(_("label"), max_length=40)
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

    panels = [FieldPanel("label"), PageChooserPanel("link_page"), FieldPanel("link_url")]

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

    def menu_items(self):
        return self.items.select_related("link_page").order_by("sort_order")


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

    def link_items(self):
        return self.links.select_related("link_page").order_by("sort_order")


class FooterLink(Orderable, LinkFields):
    settings = ParentalKey(FooterSettings, related_name="links", on_delete=models.CASCADE)

    def __str__(self) -> str:
        return self.label
