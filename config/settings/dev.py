"""Local development and the embedded ``make run`` default."""

from .base import *  # noqa: F403
from .base import env

# Off unless asked for (DJANGO_DEBUG=true): `make run` is what people try the site with, and they
# must see the site's own 404 and 500 pages, never a traceback or Django's technical page.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if env.bool("DJANGO_STATIC_HASHED", default=False):
    # `make run` serves static files as production does: collected with hashed names, gzip and
    # Brotli copies, cached by browsers for a year (config/launch.py collects them first).
    STORAGES["staticfiles"] = {  # noqa: F405
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }
    WHITENOISE_USE_FINDERS = False
    WHITENOISE_AUTOREFRESH = False
else:
    # Front-end work: straight from the finders, so a rebuilt bundle shows without collecting.
    WHITENOISE_USE_FINDERS = True
    # Re-reads static files on every request so front-end edits show at once; it costs several
    # milliseconds per request, so benchmarks switch it off.
    WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=True)
