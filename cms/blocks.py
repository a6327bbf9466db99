"""StreamField blocks shared by the site's pages.

Every block that shows an image asks for alternative text, because an image without it fails
readers using screen readers (WCAG 1.1.1).
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock

ICON_CHOICES = [
    ("learn", _("Learning")),
    ("make", _("Maker space")),
    ("memory", _("Oral history")),
    ("works", _("User works")),
    ("calendar", _("Events")),
    ("info", _("Information")),
]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=120)
    level = blocks.ChoiceBlock(label=_("Level"), choices=[("h2", "H2"), ("h3", "H3")], default="h2")

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "cms/blocks/heading.html"


class AccessibleImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=250,
        help_text=_("Describe the image for readers who cannot see it."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "cms/blocks/image.html"


def validate_link(value: str) -> None:
    """A site-relative path (``/learn/``) or a web address; nothing a browser would run.

    Wagtail's URLBlock takes only absolute URLs, so the seeded links into the apps (which are
    not pages: /learn/, /makerspace/, /memories/) made every publish of the home page fail.
    """
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return
    URLValidator(schemes=["http", "https"])(value)


class SiteLinkBlock(blocks.CharBlock):
    """An address on this site (``/learn/``) or elsewhere (``https://…``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=500, validators=[validate_link], **kwargs)


class LinkTargetBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = SiteLinkBlock(
        label=_("Or an address"),
        required=False,
        help_text=_("A path on this site, such as /learn/, or a full web address."),
    )

    def clean(self, value):
        value = super().clean(value)
        if not value.get("page") and not value.get("url"):
            raise StructBlockValidationError(
                block_errors={"page": ValidationError(_("Choose a page or enter an address."))}
            )
        return value


class EntryPointBlock(blocks.StructBlock):
    """A large tile on the home page leading into one part of the platform."""

    title = blocks.CharBlock(label=_("Title"), max_length=40)
    description = blocks.TextBlock(label=_("Description"), max_length=200)
    icon = blocks.ChoiceBlock(label=_("Icon"), choices=ICON_CHOICES, default="info")
    link = LinkTargetBlock(label=_("Link"))

    class Meta:
        icon = "link"
        label = _("Entry point")
        template = "cms/blocks/entry_point.html"


class EntryPointsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=80, required=False)
    items = blocks.ListBlock(EntryPointBlock(), label=_("Entry points"), min_num=1, max_num=8)

    class Meta:
        icon = "grip"
        label = _("Entry points")
        template = "cms/blocks/entry_points.html"


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    text = blocks.RichTextBlock(label=_("Text"), features=["bold", "italic", "link"])

    class Meta:
        icon = "warning"
        label = _("Notice")
        template = "cms/blocks/callout.html"


RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("Paragraph"), features=RICH_TEXT_FEATURES)
    image = AccessibleImageBlock()
    callout = CalloutBlock()
    entry_points = EntryPointsBlock()

    class Meta:
        block_counts = {}
