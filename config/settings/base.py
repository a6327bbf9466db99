"""Settings shared by every environment.

Everything that differs between machines comes from environment variables (see
``.env.example``); the ``dev``, ``test`` and ``production`` modules only change defaults
and add their own guards.
"""

from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# A local .env is read for convenience; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Runtime data (embedded database, uploads, broker folders, collected static) lives here, never
# in the source tree: media/ is an app, not a folder for uploads.
VAR_DIR = Path(env("LIAOTU_VAR_DIR", default=str(BASE_DIR / "var")))

# The well-known development key; production.py refuses to start with it.
INSECURE_SECRET_KEY = "django-insecure-liaotu-commons-development-key-do-not-use"  # noqa: S105
SECRET_KEY = env("DJANGO_SECRET_KEY", default=INSECURE_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A refused CSRF check in the site's own words and layout (JSON for JSON callers).
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Origin for every uploaded or package-supplied byte; another host name than the site (README).
USERCONTENT_URL = env("USERCONTENT_URL", default="http://localhost:8001")
# Seconds a signed user-content URL works: long enough to watch a long video with seeking.
USERCONTENT_URL_MAX_AGE = env.int("USERCONTENT_URL_MAX_AGE", default=3 * 3600)
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = "辽图共享空间"
# The admin sends signed-out staff to allauth's sign-in (password, then TOTP), never to its own.
WAGTAILADMIN_LOGIN_URL = "account_login"
# OAI-PMH repository identifier, as in oai:<it>:interview/1; empty means SITE_URL's host name.
OAI_REPOSITORY_IDENTIFIER = env("OAI_REPOSITORY_IDENTIFIER", default="")

INSTALLED_APPS = [
    # Project apps first so that their templates override the libraries' ones.
    "core",
    "core.insight",
    "accounts",
    "cms",
    "media",
    "ugc",
    "booking",
    "oral_history",
    "courses",
    "makerspace",
    # Wagtail
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.weixin",
    # The app and mini-program sign in through allauth's headless API (/_allauth/app/v1/).
    "allauth.headless",
    "axes",
    # The public API
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Django and helpers
    "django_htmx",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
]

MIDDLEWARE = [
    # The request's id, in every log line of it and of the tasks it enqueues.
    "core.requestid.RequestIdMiddleware",
    # Request counts and times by view, for /metrics (core/metrics.py).
    "core.metrics.MetricsMiddleware",
    # Then requests for the user-content host are answered apart, without cookies or session.
    "core.usercontent.UserContentMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag / If-None-Match for every page, kept or not: a 304 instead of the page again.
    "django.middleware.http.ConditionalGetMiddleware",
    # Visitors' pages from their kept copy, before sessions, users and templates are touched.
    "core.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Language comes from the profile, then the cookie, then zh-hans (never the browser's header).
    "core.middleware.PreferredLanguageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
    "accounts.middleware.AdminAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The site and its home page from a kept copy: three queries less on every page (core.pages).
    "core.pages.KeptSiteMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Axes must run last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # site/ holds site-wide templates; it is a plain folder, never a Python package.
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "core.context_processors.display_preferences",
                "cms.context_processors.chrome",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only: later apps rely on exclusion constraints (btree_gist), pg_trgm and tsvector.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/liaotu")}
# A Unix-socket folder may be given URL-encoded as the host (postgres://user@%2Fpath%2Fto/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# With a pool size, each process keeps at most this many connections in psycopg's pool and
# lends them out per request (threaded gunicorn workers share them); persistent connections
# are then off, as Django requires. The README says how many a cluster needs in all.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0)
if DATABASE_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DATABASE_POOL_MIN_SIZE", default=1), DATABASE_POOL_MAX_SIZE),
        "max_size": DATABASE_POOL_MAX_SIZE,
        # A request waits this long for a free connection before it fails (503, not a hang).
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every web process in production (Redis): MFA code replay protection and rate limits
# only hold if all processes see the same cache.
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    # Whole pages for visitors and the copies they are made from (core/kept.py, core/pagecache.py):
    # Redis in production so that every node serves and drops the same copies.
    "pages": env.cache(
        "PAGE_CACHE_URL", default=env.str("CACHE_URL", default="locmemcache://pages")
    ),
}
CACHES["pages"]["KEY_PREFIX"] = env.str("PAGE_CACHE_KEY_PREFIX", default="")
# Django's Redis backend with one client per connection pool, not one per call (core/cache.py).
for _cache in CACHES.values():
    if _cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        _cache["BACKEND"] = "core.cache.RedisCache"
# Visitors' pages are kept until what they show changes; this bounds a copy's life all the same
# (a page may show "coming up" events, which pass without any row changing).
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=True)
# Tests run inside a transaction that never commits: versions then move at once too.
KEPT_EAGER_VERSIONS = False

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any other backend checks them.
    "axes.backends.AxesStandaloneBackend",
    # Django's, with each reader's permissions kept between requests (accounts/auth.py).
    "accounts.auth.KeptPermissionsBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2id at OWASP's parameters first (accounts/hashers.py says why); the others only read
# older hashes, which are re-made at the next sign-in.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# One address per reader; changing it re-verifies the new one before it replaces the old.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupProfileForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[辽图共享空间] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# django-axes is the one login throttle (with its lockout page); allauth's own failed-login
# limit would answer first with a plain form error, so it is switched off. Its other limits stay.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Apps (the library's app, the WeChat mini-program) sign in through allauth's headless API and
# carry the session token it gives in X-Session-Token. Only the "app" client: our own pages use
# the site's forms and the browser session.
HEADLESS_CLIENTS = ("app",)
# Its OpenAPI document (/_allauth/openapi.json), linked from ours; not its HTML page, which
# loads Redoc from a CDN.
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_SPECIFICATION_TEMPLATE_NAME = None
# Links in mails sent to app users (verify, reset) open the site's own pages.
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": "/accounts/password/reset/key/{key}/",
    "account_signup": "/accounts/signup/",
}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Readers who arrive through WeChat still give (and verify) an e-mail address: the same rules as
# everyone else, and the address their booking reminders go to.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
# WeChat (weixin) sign-in, once the library has its app id and secret from WeChat Open Platform.
SOCIALACCOUNT_PROVIDERS = (
    {
        "weixin": {
            "APPS": [
                {
                    "client_id": env("WEIXIN_APP_ID"),
                    "secret": env("WEIXIN_APP_SECRET"),
                }
            ],
            "SCOPE": ["snsapi_login"],
            # The QR-code page for desktop browsers; inside WeChat, its own authorize page.
            "AUTHORIZE_URL": env(
                "WEIXIN_AUTHORIZE_URL", default="https://open.weixin.qq.com/connect/qrconnect"
            ),
        }
    }
    if env("WEIXIN_APP_ID", default="")
    else {}
)
# Tests only: WeChat's API host is routed to a stand-in server the test starts (see
# accounts.adapters.SocialAccountAdapter); empty in every real deployment.
WEIXIN_API_STAND_IN = env("WEIXIN_API_STAND_IN", default="")
MFA_TOTP_ISSUER = "辽图共享空间 Liaotu Commons"

# Login throttling: lock a (login, address) pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.auth.login_identifier"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
# Behind the reverse proxy the client address arrives in X-Forwarded-For: how many proxies
# (nginx: 1) append to it. Axes and allauth's limits (e.g. 30 sign-ins a minute per address)
# must count readers' addresses, not the proxy's, or a rush would lock everyone out.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Our catalogue first; then translations of strings that Wagtail ships without zh_Hans, kept
# apart so that makemessages (which rebuilds ours from our sources) never drops them.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
WAGTAIL_I18N_ENABLED = False

# --- Static files and front-end build -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
# npm packages are bundled by esbuild into site/static/build at setup; the build is never committed.
FRONTEND_BUILD_DIR = BASE_DIR / "site" / "static" / "build"
NODE_MODULES_DIR = BASE_DIR / "node_modules"

# --- Object storage -------------------------------------------------------------------------
# With S3_ENDPOINT_URL set, files go to MinIO (or any S3 endpoint) through the minio SDK;
# otherwise to local disk under var/. "default" holds public files, "private" the rest.
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", default="")
S3_ACCESS_KEY = env("S3_ACCESS_KEY", default="")
S3_SECRET_KEY = env("S3_SECRET_KEY", default="")
S3_REGION = env("S3_REGION", default="us-east-1")
S3_PUBLIC_BUCKET = env("S3_PUBLIC_BUCKET", default="liaotu-public")
S3_PRIVATE_BUCKET = env("S3_PRIVATE_BUCKET", default="liaotu-private")
# Where browsers fetch public objects (a CDN or the MinIO load balancer); defaults to the endpoint.
S3_PUBLIC_URL = env("S3_PUBLIC_URL", default="")
# Presigned URLs for private objects are short-lived: long enough to start a download or stream.
S3_PRESIGNED_EXPIRY_SECONDS = env.int("S3_PRESIGNED_EXPIRY_SECONDS", default=300)

MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media" / "public"
PRIVATE_MEDIA_ROOT = VAR_DIR / "media" / "private"


def storages_config(*, s3: bool) -> dict:
    """STORAGES for the chosen backend; environments call it after changing S3 settings."""
    if s3:
        files = {
            "default": {
                "BACKEND": "media.storage.MinioStorage",
                "OPTIONS": {"visibility": "public"},
            },
            "private": {
                "BACKEND": "media.storage.MinioStorage",
                "OPTIONS": {"visibility": "private"},
            },
        }
    else:
        files = {
            "default": {
                "BACKEND": "media.storage.LocalFileStorage",
                # Served by the user-content origin, never by the site (config.usercontent_urls).
                "OPTIONS": {
                    "location": str(MEDIA_ROOT),
                    "base_url": USERCONTENT_URL.rstrip("/") + MEDIA_URL,
                },
            },
            "private": {
                "BACKEND": "media.storage.PrivateFileSystemStorage",
                "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
            },
        }
    files["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    return files


STORAGES = storages_config(s3=bool(S3_ENDPOINT_URL))

# --- Celery ---------------------------------------------------------------------------------
BROKER_FOLDER = VAR_DIR / "broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: producers write and the worker reads the same folder. It has
    # no fan-out exchanges, so the worker's remote control (broadcast) is switched off.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "processed_folder": str(BROKER_FOLDER / "processed"),
        # Exchange bindings; kombu's default is ./control in the working directory.
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    # Redis re-delivers an unacknowledged task after this long; longer than any task may run.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="liaotu")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Tasks report through the database (status fields), not through a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
# A worker takes one task at a time so that a crash re-delivers at most what it held.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "core.tasks.record_heartbeat", "schedule": 60.0},
    # Leases are short (renewed while a job runs): a crashed worker's job moves on in minutes.
    "media-requeue-stalled": {"task": "media.tasks.requeue_stalled", "schedule": 60.0},
    "media-clean-up-storage": {"task": "media.tasks.clean_up_storage", "schedule": 3600.0},
    "oral-history-redacted-copies": {
        "task": "oral_history.tasks.resume_redacted_copies",
        "schedule": 300.0,
    },
    "booking-release-no-shows": {"task": "booking.tasks.release_no_shows", "schedule": 60.0},
    "booking-expire-offers": {"task": "booking.tasks.expire_offers", "schedule": 60.0},
    "booking-send-reminders": {"task": "booking.tasks.send_reminders", "schedule": 300.0},
    # Printers change state by the second; a sync is three small HTTP calls per printer.
    "makerspace-sync-farm": {"task": "makerspace.tasks.sync_farm", "schedule": 5.0},
    "makerspace-resume-studio-jobs": {
        "task": "makerspace.tasks.resume_studio_jobs",
        "schedule": 60.0,
    },
    # Roll up each closed hour of activity; keep partitions ahead and enforce retention.
    "insight-roll-up": {"task": "insight.tasks.roll_up", "schedule": 300.0},
    "insight-maintain": {"task": "insight.tasks.maintain", "schedule": crontab(hour=2, minute=10)},
    "insight-recommendations": {
        "task": "insight.tasks.recommendations",
        "schedule": crontab(hour=3, minute=20),
    },
    "insight-year-reviews": {
        "task": "insight.tasks.year_reviews",
        "schedule": crontab(hour=3, minute=0),
    },
    # Signals keep the search index in step; this catches changes that send none (bulk updates).
    "core-rebuild-search-index": {
        "task": "core.tasks.rebuild_search_index",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- Public API (/api/v1/) -------------------------------------------------------------------
REST_FRAMEWORK = {
    # Apps send allauth's session token (X-Session-Token); our own pages use the session, with
    # CSRF on every unsafe method.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.AppSessionToken",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: no browsable API (a second HTML surface to secure), no form parsers.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Cursor",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "EXCEPTION_HANDLER": "core.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttles.PerAddress", "core.api.throttles.PerUser"],
    # Counted per reader's address: the one the last trusted proxy saw, never an address the
    # client wrote into X-Forwarded-For itself (which would give it a fresh allowance).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Counted in the default cache (Redis in production), shared by every web node.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="120/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaotu Commons API",
    "DESCRIPTION": (
        "The library's platform for its app and WeChat mini-program. Errors are RFC 9457 "
        "problem documents (application/problem+json) with a stable `code`. Lists are "
        "cursor-paginated. Apps sign in through allauth's headless API "
        "(/_allauth/app/v1/auth/login, documented at /_allauth/openapi.json) and send the "
        "session token it gives in X-Session-Token; the site's own pages use their session "
        "cookie and CSRF token. Files are uploaded by tus 1.0 (resumable) at /files/uploads/: "
        "POST with Tus-Resumable: 1.0.0, Upload-Length and Upload-Metadata (filename in "
        "base64), then PATCH the Location with Upload-Offset and the bytes as "
        "application/offset+octet-stream; the upload's id (the Location's last segment) is "
        "what POST /api/v1/me/works/ takes. Apps send X-Session-Token there too. "
        "This is v1, served under /api/v1/; a v2 would be served under "
        "/api/v2/ beside it, with its own schema, while v1 keeps working."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and Redoc from our own origin (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set that several components share.
    "ENUM_NAME_OVERRIDES": {
        "SiteLanguageEnum": "config.settings.base.LANGUAGES",
        "WorkLanguageEnum": "ugc.models.WORK_LANGUAGES",
        "AudienceGroupEnum": "accounts.models.AudienceGroup",
        "BookingStatusEnum": "booking.models.BookingStatus",
        "PrintJobStatusEnum": "makerspace.models.JobStatus",
        "WaitlistStatusEnum": "booking.models.WaitlistStatus",
        "AccessRequestStatusEnum": "oral_history.models.AccessRequest.Status",
        "EquipmentStatusEnum": "makerspace.models.EquipmentStatus",
    },
    "PREPROCESSING_HOOKS": ["core.api.schema.only_the_public_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.problems_everywhere",
    ],
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="辽图共享空间 <noreply@liaotu.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# A signed-in reader's session read from the shared cache (Redis), written through to the
# database: a query less on every page. Only when every process shares that cache: with a
# process's own memory (make run without CACHE_URL) a session signed out in one worker would
# live on in another's.
if CACHES["default"]["BACKEND"] == "core.cache.RedisCache":
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "frame-src": [SELF],
    },
}
# core.middleware.ContentSecurityPolicyMiddleware adds the user-content origin (USERCONTENT_URL)
# to img-src, media-src, connect-src and frame-src on every site page, and to nothing else.
# The Wagtail admin still relies on inline styles and scripts in places; it is staff-only
# and MFA-protected, so it gets a looser policy than the public site.
CSP_ADMIN_EXTRA = {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]}
# Redoc (the API's reference at /api/v1/redoc/) writes its styles at run time and searches in a
# worker made from a blob; that page alone allows both (never inline scripts).
CSP_DOCS_EXTRA = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]}

# --- Wagtail --------------------------------------------------------------------------------
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ALLOW_UNICODE_SLUGS = True
# No Gravatar: readers' email hashes must not go to a third party (and it is unreachable here).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# /metrics (Prometheus) answers only a bearer token or these networks (core/metrics.py).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])

# One JSON object per line in production (LOG_FORMAT=json), for the log collector; every line
# carries the request id of the request or task it belongs to (core/requestid.py).
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # The print farm's sync asks each OctoPrint three questions every few seconds.
        "httpx": {"level": "WARNING"},
    },
}

# Error reports go to Sentry (or GlitchTip) only when a DSN is given; no reader's data is sent
# (core/errorreports.py). A small share of requests may be traced for performance.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core import errorreports

    errorreports.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Uploads (media pipeline) ---------------------------------------------------------------
MiB = 1024 * 1024
# Largest file accepted per kind of media; refused with a clear message above it.
MEDIA_MAX_BYTES = {
    "video": env.int("MEDIA_MAX_VIDEO_MB", default=4096) * MiB,
    "audio": env.int("MEDIA_MAX_AUDIO_MB", default=1024) * MiB,
    "image": env.int("MEDIA_MAX_IMAGE_MB", default=50) * MiB,
    "document": env.int("MEDIA_MAX_DOCUMENT_MB", default=200) * MiB,
    "model": env.int("MEDIA_MAX_MODEL_MB", default=200) * MiB,
}
# Per-reader quotas: uploads started per day, and bytes kept in total.
MEDIA_QUOTA_UPLOADS_PER_DAY = env.int("MEDIA_QUOTA_UPLOADS_PER_DAY", default=20)
MEDIA_QUOTA_TOTAL_BYTES = env.int("MEDIA_QUOTA_TOTAL_MB", default=10240) * MiB
# The browser sends uploads in chunks of this size; on S3 every chunk but the last must be at
# least 5 MiB, because the chunks are joined with a server-side multipart copy.
MEDIA_UPLOAD_CHUNK_BYTES = env.int("MEDIA_UPLOAD_CHUNK_MB", default=32) * MiB
# A running processing job renews its lease four times per lease; one not renewed for this
# long died with its worker and is handed to another by the reconciliation task.
MEDIA_PROCESSING_LEASE_SECONDS = env.int("MEDIA_PROCESSING_LEASE_SECONDS", default=120)
MEDIA_PROCESSING_MAX_ATTEMPTS = env.int("MEDIA_PROCESSING_MAX_ATTEMPTS", default=3)
# Images larger than this many pixels are refused as possible decompression bombs.
MEDIA_MAX_IMAGE_PIXELS = env.int("MEDIA_MAX_IMAGE_PIXELS", default=80_000_000)
# Readers' comments: at most this many per reader in any ten minutes.
UGC_COMMENTS_PER_10_MINUTES = env.int("UGC_COMMENTS_PER_10_MINUTES", default=5)

# --- Learning and H5P -----------------------------------------------------------------------
# Library builds that may be installed at all, as "Machine.Name major.minor.patch sha256" (the
# digest shown on the admin's H5P library review); empty means any build an administrator approves.
H5P_LIBRARY_ALLOWLIST = env.list("H5P_LIBRARY_ALLOWLIST", default=[])

# --- Booking --------------------------------------------------------------------------------
# Check-in opens this long before the start; a booking not checked in this long after its start
# is released as a no-show.
BOOKING_CHECK_IN_OPENS_MINUTES = env.int("BOOKING_CHECK_IN_OPENS_MINUTES", default=30)
BOOKING_NO_SHOW_GRACE_MINUTES = env.int("BOOKING_NO_SHOW_GRACE_MINUTES", default=15)
# This many no-shows within the window suspend booking rights for the given number of days.
BOOKING_NO_SHOW_LIMIT = env.int("BOOKING_NO_SHOW_LIMIT", default=3)
BOOKING_NO_SHOW_WINDOW_DAYS = env.int("BOOKING_NO_SHOW_WINDOW_DAYS", default=90)
BOOKING_SUSPENSION_DAYS = env.int("BOOKING_SUSPENSION_DAYS", default=30)
# Readers get a reminder this many hours before a booking starts.
BOOKING_REMINDER_HOURS = env.int("BOOKING_REMINDER_HOURS", default=24)
# A place offered from the waiting list passes on if not confirmed within this many hours.
BOOKING_OFFER_HOURS = env.int("BOOKING_OFFER_HOURS", default=12)

# --- 辽海往事 oral history ------------------------------------------------------------------------
# Map tiles for the places map, e.g. "https://tile.example.org/{z}/{x}/{y}.png" (tianditu or a
# self-hosted server); empty shows markers on a blank map. The tile host is added to the CSP.
ORAL_HISTORY_TILE_URL = env.str("ORAL_HISTORY_TILE_URL", default="")
ORAL_HISTORY_TILE_ATTRIBUTION = env.str("ORAL_HISTORY_TILE_ATTRIBUTION", default="")
if ORAL_HISTORY_TILE_URL:
    from urllib.parse import urlsplit as _urlsplit

    _tiles = _urlsplit(ORAL_HISTORY_TILE_URL.replace("{s}", "a"))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")

# --- Maker space (makerspace/) ---------------------------------------------------------------
# Extra folders of PrusaSlicer printer profiles (*.ini) beside makerspace/profiles/.
MAKERSPACE_PROFILE_DIRS = env.list("MAKERSPACE_PROFILE_DIRS", default=[])
MAKERSPACE_SLICER = env("MAKERSPACE_SLICER", default="prusa-slicer")
MAKERSPACE_SLICE_TIMEOUT = env.int("MAKERSPACE_SLICE_TIMEOUT", default=300)
MAKERSPACE_MAX_UPLOAD_BYTES = env.int("MAKERSPACE_MAX_UPLOAD_BYTES", default=100 * 1024 * 1024)
MAKERSPACE_MAX_RECORDING_BYTES = env.int(
    "MAKERSPACE_MAX_RECORDING_BYTES", default=4 * 1024 * 1024 * 1024
)
# Firmware and settings commands makers may not send (G-code containing them is refused).
MAKERSPACE_GCODE_DENY = env.list("MAKERSPACE_GCODE_DENY", default=["M500", "M502", "M997", "M999"])
MAKERSPACE_JOBS_PER_WEEK = env.int("MAKERSPACE_JOBS_PER_WEEK", default=5)
MAKERSPACE_PRINT_HOURS_PER_MONTH = env.int("MAKERSPACE_PRINT_HOURS_PER_MONTH", default=20)
# Yuan per gram of filament shown in the estimate; 0 means printing is free.
MAKERSPACE_PRICE_PER_GRAM = env("MAKERSPACE_PRICE_PER_GRAM", default="0")
MAKERSPACE_OCTOPRINT_TIMEOUT = env.float("MAKERSPACE_OCTOPRINT_TIMEOUT", default=10.0)
# A job still "being sent" after this long is checked against the printer and queued again.
MAKERSPACE_DISPATCH_TIMEOUT = env.int("MAKERSPACE_DISPATCH_TIMEOUT", default=120)
# Encrypts printer API keys at rest; derived from SECRET_KEY when empty.
MAKERSPACE_SECRET_KEY = env("MAKERSPACE_SECRET_KEY", default="")

# --- Library insight (activity record) -------------------------------------------------------
# Raw activity events are kept this many months, then their monthly partitions are dropped;
# the hourly and daily roll-ups keep their counts.
INSIGHT_RAW_MONTHS = env.int("INSIGHT_RAW_MONTHS", default=24)
# The link from an event to the reader (for their own year in review and data export) is cut
# after this many months; the event stays, pseudonymous. Covers the previous calendar year.
INSIGHT_PERSON_MONTHS = env.int("INSIGHT_PERSON_MONTHS", default=15)
# Key of the pseudonym (a keyed hash of the user id); derived from SECRET_KEY when empty.
INSIGHT_PSEUDONYM_KEY = env("INSIGHT_PSEUDONYM_KEY", default="")
# An hour is rolled up this many minutes after it ends: events written on commit may carry a
# time a little before their commit.
INSIGHT_ROLLUP_GRACE_MINUTES = env.int("INSIGHT_ROLLUP_GRACE_MINUTES", default=10)
# 为你推荐: what readers took up in this many recent months is paired ...
INSIGHT_RECOMMEND_MONTHS = env.int("INSIGHT_RECOMMEND_MONTHS", default=12)
# ... and a pair (or a popular item of an audience group) is used only when at least this many
# readers share it, so a recommendation never reveals what one other reader did.
INSIGHT_RECOMMEND_MIN_READERS = env.int("INSIGHT_RECOMMEND_MIN_READERS", default=3)

# --- Backups (issue #18) ---------------------------------------------------------------------
# manage.py backup / restore / verify_backup and the nightly task (core/backups/). The target is
# a directory or s3://bucket/prefix; keep the key apart from the backups (README: restore).
BACKUP_TARGET = env("BACKUP_TARGET", default=str(VAR_DIR / "backups"))
BACKUP_ENCRYPTION_KEY = env("BACKUP_ENCRYPTION_KEY", default="")
# An s3:// target on another endpoint than the site's files (off-site); empty means S3_*.
BACKUP_S3_ENDPOINT_URL = env("BACKUP_S3_ENDPOINT_URL", default="")
BACKUP_S3_ACCESS_KEY = env("BACKUP_S3_ACCESS_KEY", default="")
BACKUP_S3_SECRET_KEY = env("BACKUP_S3_SECRET_KEY", default="")
# pg_dump, pg_restore and psql of the server's major version (Debian's postgresql-client).
BACKUP_PG_BIN_DIR = env("BACKUP_PG_BIN_DIR", default="/usr/bin")
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
# core.backups is a package of the core app: autodiscover_tasks() does not look in it.
CELERY_IMPORTS = ["core.backups.tasks"]
# At 01:30, before the insight jobs (02:10–03:30) load the database.
CELERY_BEAT_SCHEDULE["backups-nightly"] = {
    "task": "core.backups.tasks.nightly_backup",
    "schedule": crontab(hour=1, minute=30),
}
