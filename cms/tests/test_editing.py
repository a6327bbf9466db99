"""Staff can run the site: every page the demo seeds passes the editor's own validation, so a
librarian can publish it unchanged (before: the seeded links /learn/, /makerspace/ and
/memories/ failed the URL fields and every publish of the home page was refused)."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.fields import StreamField
from wagtail.models import Page

from cms.blocks import SiteLinkBlock, validate_link

pytestmark = pytest.mark.django_db


def test_every_seeded_page_validates_as_the_editor_checks_it(demo_site):
    pages = [page.specific for page in Page.objects.live().filter(depth__gt=1)]
    assert len(pages) > 3
    for page in pages:
        page.full_clean()
        for field in page._meta.get_fields():
            if isinstance(field, StreamField):
                value = getattr(page, field.name)
                field.stream_block.clean(value)  # raises as the editor would


@pytest.mark.parametrize("good", ["/learn/", "/memories/?q=辽海", "https://www.lnlib.com/"])
def test_site_paths_and_web_addresses_are_links(good):
    validate_link(good)
    assert SiteLinkBlock().clean(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "//evil.example/",
        "/\\evil.example/",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "learn/",
    ],
)
def test_addresses_a_browser_would_run_or_misread_are_refused(bad):
    with pytest.raises(ValidationError):
        SiteLinkBlock().clean(bad)
