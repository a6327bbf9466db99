"""The site's public base URL, the one place that says where the site lives.

Mails, calendar feeds, sitemaps, OAI-PMH, IIIF, badges and certificates must name the same
address whatever Host header a request carried (a harvester must always see the same record
identifiers, and a mail must open the site it came from). ``settings.SITE_URL`` holds it;
``make run`` derives it from HOST and PORT.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def site_url() -> str:
    """The base URL without a trailing slash, e.g. ``https://commons.library.example``."""
    return settings.SITE_URL.rstrip("/")


def absolute(path: str) -> str:
    """``path`` (site-relative, e.g. from ``reverse``) as an absolute URL on the public site."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{site_url()}/{path.lstrip('/')}"


def site_host() -> str:
    """The public host name (no port), e.g. for OAI-PMH's repository identifier."""
    return urlsplit(site_url()).hostname or "localhost"


def sync_wagtail_site(**_signal_kwargs) -> None:
    """Keep Wagtail's default Site record on the public base URL (host and port).

    Wagtail builds full page URLs (sitemaps, ``get_full_url``, the admin's "view live") from this
    record; run after every ``migrate`` and by the demo loader, so it never drifts from SITE_URL.
    """
    from wagtail.models import Site

    parts = urlsplit(site_url())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    Site.objects.filter(is_default_site=True).exclude(
        hostname=parts.hostname or "localhost", port=port
    ).update(hostname=parts.hostname or "localhost", port=port)
