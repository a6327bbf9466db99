"""One public base URL (settings.SITE_URL) for everything that leaves the site: mails, calendar
feeds, sitemaps, badges and certificates never take their address from the Host header."""

import re

import pytest
from django.core import mail
from wagtail.models import Site

from booking import services as booking
from booking.tests.factories import EventFactory
from core import siteurl

pytestmark = pytest.mark.django_db

PUBLIC = "https://commons.library.example:8443"
HOSTILE = {"HTTP_HOST": "evil.example:8100"}


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.SITE_URL = PUBLIC + "/"


def test_absolute_joins_exactly_one_slash():
    assert siteurl.absolute("/booking/") == PUBLIC + "/booking/"
    assert siteurl.absolute("booking/") == PUBLIC + "/booking/"
    assert siteurl.site_host() == "commons.library.example"


def test_the_waiting_list_offer_mail_opens_the_public_site(user, other_user):
    from booking.models import Booking
    from booking.notifications import send_booking_notice

    event = EventFactory(capacity=1)
    first = booking.book_event(user=user, event=event)
    booking.join_waitlist(user=other_user, event=event)
    booking.cancel_booking(booking=first, by=user)
    offer = Booking.objects.get(user=other_user, event=event)
    mail.outbox.clear()
    send_booking_notice(offer, "offered")  # what the worker's task does
    (message,) = mail.outbox
    links = re.findall(r"https?://[^\s\"<]+", message.body)
    assert links and all(link.startswith(PUBLIC + "/") for link in links)
    calendar = message.attachments[0][1]
    calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
    assert PUBLIC + "/booking/" in calendar.replace("\r\n ", "")


def test_sitemaps_name_the_public_site_whatever_the_host(client, demo_site):
    index = client.get("/sitemap.xml", **HOSTILE).content.decode()
    sections = re.findall(r"<loc>([^<]+)</loc>", index)
    assert sections and all(loc.startswith(PUBLIC + "/sitemap-") for loc in sections)
    pages = client.get("/sitemap-pages.xml", **HOSTILE).content.decode()
    locations = re.findall(r"<loc>([^<]+)</loc>", pages)
    assert len(locations) > 3
    assert all(loc.startswith(PUBLIC + "/") for loc in locations), locations[:3]


def test_the_wagtail_site_record_follows_the_setting(demo_site):
    siteurl.sync_wagtail_site()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("commons.library.example", 8443)


def test_badges_and_feeds_name_the_public_site(client, user):
    issuer = client.get("/learning/badges/issuer.json", **HOSTILE).json()
    assert issuer["id"].startswith(PUBLIC + "/") and issuer["url"] == PUBLIC + "/"
    client.force_login(user)
    feed = booking.reset_feed(user=user)
    page = client.get("/booking/mine/", **HOSTILE).content.decode()
    assert f"{PUBLIC}/booking/feed/{feed.token}.ics" in page
    assert "evil.example" not in page
