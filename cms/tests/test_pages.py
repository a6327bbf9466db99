import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from cms.models import HomePage, NavigationSettings, StandardPage


@pytest.mark.django_db
def test_demo_content_builds_the_home_page_with_four_entry_points(client, demo_site):
    html = client.get("/").content.decode()
    for title in ("学习", "创客空间", "辽海往事", "用户作品"):
        assert f'<span class="tile-title">{title}</span>' in html
    assert "欢迎来到辽图共享空间" in html
    assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage


@pytest.mark.django_db
def test_seed_demo_is_idempotent(demo_site):
    counts = (Page.objects.count(), NavigationSettings.objects.get().items.count())
    call_command("seed_demo", "--only", "accounts", "cms", stdout=io.StringIO())
    assert (Page.objects.count(), NavigationSettings.objects.get().items.count()) == counts


@pytest.mark.django_db
def test_navigation_and_footer_come_from_wagtail_settings(client, demo_site):
    navigation = NavigationSettings.objects.get()
    item = navigation.items.first()
    item.label = "学习中心"
    item.save()
    html = client.get("/").content.decode()
    assert "学习中心" in html
    assert "全年 365 天 9:00–21:00" in html


@pytest.mark.django_db
def test_standard_page_renders(client, demo_site):
    page = StandardPage.objects.get(slug="about-memories")
    response = client.get(page.url)
    assert response.status_code == 200
    assert "辽海往事口述历史档案" in response.content.decode()


@pytest.mark.django_db
def test_site_search_finds_pages_and_htmx_gets_only_results(client, demo_site):
    # Wagtail's database backend matches whole Chinese tokens such as a page title; splitting
    # running Chinese text into words comes with the shared segmentation (oral-history issue).
    response = client.get("/search/", {"q": "辽海往事"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "辽海往事" in html
    assert "<html" in html
    partial = client.get("/search/", {"q": "辽海往事"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert "辽海往事" in partial.content.decode()
    nothing = client.get("/search/", {"q": "不存在的词语组合xyz"}).content.decode()
    assert '<ol class="search-results">' not in nothing


@pytest.mark.django_db
def test_home_page_query_count_does_not_grow_with_navigation(client, demo_site):
    client.get("/")
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    navigation = NavigationSettings.objects.get()
    pages = list(StandardPage.objects.all())
    for n in range(10):
        navigation.items.create(
            label=f"链接{n}", link_page=pages[n % len(pages)], sort_order=100 + n
        )
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(after) == len(before)
