"""pytest: real PostgreSQL, Redis and an S3 endpoint (moto's server), fast password hashing.

tests/services.py starts the S3 server and the Celery worker and fills in their addresses.
"""

from .base import *  # noqa: F403
from .base import env, storages_config

DEBUG = False
ALLOWED_HOSTS = ["*"]
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Every test session gets its own queue, so stale messages from an aborted run are never consumed.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="liaotu-test")
# tests/services.py starts moto's S3 server on a free port and replaces this placeholder.
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", default="http://127.0.0.1:9")
S3_ACCESS_KEY = env("S3_ACCESS_KEY", default="testing")
S3_SECRET_KEY = env("S3_SECRET_KEY", default="testing")
STORAGES = storages_config(s3=True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
AXES_FAILURE_LIMIT = 5
# Tests run inside a transaction that never commits: kept copies are dropped at the write too.
KEPT_EAGER_VERSIONS = True
# Visitors' pages are kept only where a test asks (tests/test_page_cache.py, the browser tests):
# elsewhere a second request must make the page again, so that counting its queries means
# something.
PAGE_CACHE_ENABLED = False
# The test client's site is "testserver"; user content is another host name on the same server
# (browser tests move both to the live server's port, see tests/services.py).
USERCONTENT_URL = env("USERCONTENT_URL", default="http://usercontent.testserver")
# Serve static files from the finders, as in development; nothing is collected for tests.
WHITENOISE_AUTOREFRESH = True
LOGGING["loggers"]["wagtail"] = {"level": "WARNING"}  # noqa: F405
# The Virtual Printer's printer type: temperatures without heating waits, so prints take seconds.
MAKERSPACE_PROFILE_DIRS = [str(BASE_DIR / "makerspace" / "tests" / "profiles")]  # noqa: F405
