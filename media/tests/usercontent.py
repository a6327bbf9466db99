"""Test helpers for the user-content origin: follow a site redirect to it with the test client.

The test client always talks to one WSGI handler; the host name decides which side answers, so a
user-content URL is fetched by sending its host in the Host header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client


def is_usercontent_url(url: str) -> bool:
    target, base = urlsplit(url), urlsplit(settings.USERCONTENT_URL)
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)


def fetch(client: Client, url: str, **extra):
    """GET an absolute user-content URL through ``client`` (cookies and all, as a browser would
    send them if the hosts shared a jar: the server must drop them)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.get(path, HTTP_HOST=parts.netloc, **extra)


def follow(client: Client, site_url: str, **extra):
    """Ask the site for ``site_url``; it must redirect to user content. Returns
    ``(redirect, usercontent_response)``."""
    redirect = client.get(site_url, **extra)
    assert redirect.status_code == 302, (site_url, redirect.status_code)
    location = redirect["Location"]
    assert is_usercontent_url(location), location
    return redirect, fetch(client, location, **extra)


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
