"""/robots.txt and /favicon.ico: what browsers and crawlers ask every site for."""

import io

import pytest
from PIL import Image


@pytest.mark.django_db
def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client, settings):
    settings.SITE_URL = "https://commons.library.example"
    response = client.get("/robots.txt", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    disallowed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow")}
    private = ["/admin/", "/accounts/", "/booking/mine/", "/booking/staff/", "/makerspace/farm/",
               "/memories/desk/", "/works/moderation/", "/files/", "/booking/feed/"]  # fmt: skip
    assert set(private) <= disallowed
    # Public pages stay open to crawlers.
    for public in ("/", "/memories/", "/learning/", "/makerspace/", "/works/", "/booking/"):
        assert public not in disallowed
    # The sitemap's address is SITE_URL's, not the Host header's.
    assert lines[-1] == "Sitemap: https://commons.library.example/sitemap.xml"


@pytest.mark.django_db
def test_favicon_is_an_icon_in_the_sizes_browsers_use(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert "max-age=86400" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])


@pytest.mark.django_db
def test_pages_link_the_svg_icon(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/favicon.ico"' in page
    assert 'type="image/svg+xml"' in page
