"""Parts of signed-in readers' pages that everyone sees alike ({% shared %}, core/templatetags):
rendered once, kept, and dropped exactly when what they show changes, while each reader's own
parts are made for them."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.template.context_processors import csrf
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

pytestmark = pytest.mark.django_db


def places_left(n: int) -> str:
    with translation.override("zh-hans"):
        return translation.ngettext("%(n)s place left", "%(n)s places left", n) % {"n": n}


def home(client: Client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def reader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lecture():
    from booking.tests.factories import EventFactory

    return EventFactory(title="剪纸讲座", capacity=3)


def test_readers_share_whats_on_and_each_sees_their_own(demo_site, lecture, user, other_user):
    from booking import services

    services.book_event(user=user, event=lecture)
    mine, first_queries = home(reader(user))
    theirs, later_queries = home(reader(other_user))
    for page in (mine, theirs):
        assert "剪纸讲座" in page and places_left(2) in page
    # Only the reader who booked sees it as their next booking.
    assert mine.count("剪纸讲座") == 2 and theirs.count("剪纸讲座") == 1
    # The second reader's page did not read the events, paths, works or interviews again.
    assert later_queries < first_queries
    again, queries = home(reader(user))
    unmasked = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert unmasked.sub("", again) == unmasked.sub("", mine) and queries <= later_queries


def test_a_booking_changes_the_shared_part_at_once(demo_site, lecture, user, other_user):
    from booking import services

    page, _ = home(reader(user))
    assert places_left(3) in page
    services.book_event(user=other_user, event=lecture)
    page, _ = home(reader(user))
    assert places_left(2) in page and places_left(3) not in page
    lecture.title = "剪纸讲座（改期）"
    lecture.save()
    assert "剪纸讲座（改期）" in home(reader(user))[0]


def _render(source: str, **context) -> str:
    return Template("{% load shared %}" + source).render(Context(context))


def test_a_part_depends_on_the_rows_of_the_page_it_names_and_a_preview_skips_it(demo_site):
    from wagtail.models import Page

    page = Page.objects.get(depth=2).specific
    source = '{% shared "title" page %}{{ page.title }}{% endshared %}'
    assert _render(source, page=page) == page.title
    # Served from its copy: the value given is not read again.
    fresh = Page.objects.get(pk=page.pk).specific
    fresh.title = "辽图共享空间（新）"
    assert _render(source, page=fresh) == page.title
    # An editor's preview shows the draft, and the live part stays kept.
    preview = RequestFactory().get("/")
    preview.is_preview = True
    assert _render(source, page=fresh, request=preview) == "辽图共享空间（新）"
    assert _render(source, page=fresh) == page.title
    # Once the page's row changes, the part is made again.
    fresh.save()
    assert _render(source, page=fresh) == "辽图共享空间（新）"


def test_each_language_and_display_mode_has_its_own_part():
    from core.preferences import DisplayPreferences

    source = (
        '{% load i18n %}{% shared "menu" %}{% trans "Search" %}{{ display.css_classes }}'
        "{% endshared %}"
    )
    with translation.override("zh-hans"):
        chinese = _render(source, display=DisplayPreferences())
    with translation.override("en"):
        english = _render(source, display=DisplayPreferences())
        large = _render(source, display=DisplayPreferences(large_text=True))
    assert chinese.startswith("搜索") and english == "Search" and large == "Searchlarge-text"


def test_a_part_that_used_a_csrf_token_is_never_kept():
    source = '{% shared "form" %}{% csrf_token %}{% endshared %}'
    tokens = []
    for _ in range(2):
        request = RequestFactory().get("/")
        # As Django's csrf context processor gives it: the token is made when first shown.
        html = _render(source, request=request, **csrf(request))
        tokens.append(html)
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]
        assert get_token(request)[:0] == "" and 'name="csrfmiddlewaretoken"' in html
    assert tokens[0] != tokens[1]


def test_the_footer_note_is_rendered_once_with_its_links_and_changes_at_once(demo_site, user):
    from wagtail.models import Page, Site

    from cms.models import FooterSettings

    site = Site.objects.get(is_default_site=True)
    learning = Page.objects.live().filter(depth=3).first()
    footer = FooterSettings.for_site(site)
    link = f'<a linktype="page" id="{learning.pk}">{learning.title}</a>'
    footer.note = f"<p>周一闭馆，{link}照常开放</p>"
    footer.save()
    page, _ = home(reader(user))
    assert f'<a href="{learning.url}">{learning.title}</a>照常开放' in page
    assert 'linktype="page"' not in page
    footer.note = "<p>春节期间闭馆</p>"
    footer.save()
    assert "春节期间闭馆" in home(reader(user))[0]


def test_a_kept_route_follows_unpublishing_and_a_new_address_at_once(demo_site, user):
    from courses.tests.factories import course

    page = course(title="智能手机入门")
    client = reader(user)
    old_url = page.url
    assert client.get(old_url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(old_url).status_code == 200
    # The page itself was found from its kept copy: no query reads wagtailcore_page by address.
    assert not any("url_path" in q["sql"] and " IN " in q["sql"] for q in queries)
    page.slug = "smartphone-basics-2"
    page.save_revision().publish()
    page.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(page.url).status_code == 200
    page.unpublish()
    assert client.get(page.url).status_code == 404
