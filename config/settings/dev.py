"""Local development and the embedded ``make run`` default."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Serve static files straight from the finders so a rebuilt front-end shows without collectstatic.
WHITENOISE_USE_FINDERS = True
# Re-reads static files on every request so front-end edits show at once; it costs several
# milliseconds per request, so benchmarks switch it off.
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=True)
