"""Encryption at rest for printer API keys.

An OctoPrint API key lets anyone drive the printer, so the database holds only a Fernet token
(AES-128-CBC + HMAC-SHA256). The key comes from ``MAKERSPACE_SECRET_KEY`` or, when that is not
set, is derived from ``SECRET_KEY``: a database dump alone is not enough to read the keys.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class UnreadableSecret(Exception):
    """The stored token was made with another key (the secret key changed) or was altered."""


def _fernet() -> Fernet:
    secret = getattr(settings, "MAKERSPACE_SECRET_KEY", "") or settings.SECRET_KEY
    digest = hashlib.sha256(b"liaotu-commons/makerspace/api-keys:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as error:
        raise UnreadableSecret from error
