"""Meetbridge settings. Everything that differs between machines comes from the environment.

Development defaults are safe to run on a laptop (SQLite under var/, DEBUG on, the sandbox as
vendor); production sets DEBUG=0, SECRET_KEY, TOKEN_ENCRYPTION_KEYS, DATABASE_URL, ALLOWED_HOSTS
and the providers' client credentials (each also readable from `NAME_FILE`).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_json_dict,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MEETBRIDGE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Public URL of this deployment: OAuth redirect URIs and the HubSpot action URL are built from it.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_q",
    "accounts",
    "connectors",
    "jobs",
    "sync",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# Admin messages can carry a freshly created API token: keep them server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'meetbridge.sqlite3'}"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# --- Security (production values switch on with DEBUG off) -------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading HSTS is hard to undo and belongs to whoever owns the domain, so it is opt-in and
# its deploy-check warning is silenced until the operator opts in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"

# --- Token encryption --------------------------------------------------------------------------
# Fernet keys for the user tokens stored in the database, newest first: encrypting uses the
# first, decrypting tries each, so a new key can be rolled in before the old one is retired
# (`manage.py rotate_token_keys` re-encrypts). Kept apart from SECRET_KEY on purpose.
_DEV_TOKEN_KEY = "ZGV2LW9ubHktdG9rZW4ta2V5LWNoYW5nZS1tZS0wMTI="  # dev only
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS", [_DEV_TOKEN_KEY] if DEBUG else [])
if not TOKEN_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS must be set when DEBUG is off")

# --- Vendors -------------------------------------------------------------------------------------
# SANDBOX_URL points every vendor at the bundled sandbox (`manage.py sandbox`); each base URL can
# still be overridden one by one. Without it the real vendor hosts are used.
SANDBOX_URL = (env_str("SANDBOX_URL", "http://127.0.0.1:8100" if DEBUG else "") or "").rstrip("/")


def _vendor_url(name: str, real: str, sandbox_path: str) -> str:
    default = f"{SANDBOX_URL}{sandbox_path}" if SANDBOX_URL else real
    return (env_str(name, default) or default).rstrip("/")


PROVIDERS = {
    "zoom": {
        "client_id": env_str("ZOOM_CLIENT_ID", "sandbox-zoom-client" if SANDBOX_URL else ""),
        "client_secret": env_str(
            "ZOOM_CLIENT_SECRET", "sandbox-zoom-secret" if SANDBOX_URL else ""
        ),
        "webhook_secret": env_str("ZOOM_WEBHOOK_SECRET", "sandbox-zoom-webhook-secret"),
        "api_base_url": _vendor_url("ZOOM_API_BASE_URL", "https://api.zoom.us/v2", "/zoom/v2"),
        "oauth_base_url": _vendor_url(
            "ZOOM_OAUTH_BASE_URL", "https://zoom.us/oauth", "/zoom/oauth"
        ),
    },
    "hubspot": {
        "client_id": env_str("HUBSPOT_CLIENT_ID", "sandbox-hubspot-client" if SANDBOX_URL else ""),
        "client_secret": env_str(
            "HUBSPOT_CLIENT_SECRET", "sandbox-hubspot-secret" if SANDBOX_URL else ""
        ),
        "app_id": env_str("HUBSPOT_APP_ID", "1000001"),
        "api_base_url": _vendor_url("HUBSPOT_API_BASE_URL", "https://api.hubapi.com", "/hubspot"),
        "app_base_url": _vendor_url(
            "HUBSPOT_APP_BASE_URL", "https://app.hubspot.com", "/hubspot/app"
        ),
        # Timeline event template ids of the app, by kind ("registration", "attendance",
        # "recording"). Only apps that already have v3 templates can use them (apis.md §0.3);
        # empty: the marketing-event attendance is the timeline record, recordings become notes.
        "timeline_templates": {
            str(kind): str(template_id)
            for kind, template_id in env_json_dict("HUBSPOT_TIMELINE_TEMPLATES").items()
            if template_id
        },
    },
    "salesforce": {
        "client_id": env_str(
            "SALESFORCE_CLIENT_ID", "sandbox-salesforce-client" if SANDBOX_URL else ""
        ),
        "client_secret": env_str(
            "SALESFORCE_CLIENT_SECRET", "sandbox-salesforce-secret" if SANDBOX_URL else ""
        ),
        # Production, sandbox (test.salesforce.com) or a My Domain host.
        "login_url": _vendor_url(
            "SALESFORCE_LOGIN_URL", "https://login.salesforce.com", "/salesforce/login"
        ),
        "api_version": env_str("SALESFORCE_API_VERSION", "v62.0"),
        # The org's daily API allocation; the client stays under it (Setup → Company Information).
        "daily_api_limit": env_int("SALESFORCE_DAILY_API_LIMIT", 100_000),
    },
}

# --- Background work (django-q2) -----------------------------------------------------------------
# ORM broker by default: the queue lives in the main database, so an enqueue inside a transaction
# commits (or rolls back) with the data, and a task whose worker dies is redelivered after
# `retry` seconds (at-least-once; every task is idempotent). Redis is optional and faster, but a
# task lost with a crashed worker is not redelivered (no receipts).
Q_BROKER = env_str("Q_BROKER", "orm")
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
Q_CLUSTER = {
    "name": "meetbridge",
    "workers": env_int("Q_WORKERS", 2),
    "recycle": 500,
    # A task may run `timeout` seconds; it is handed out again `retry` seconds after delivery,
    # so retry must exceed timeout or a slow task would run twice in parallel.
    "timeout": env_int("Q_TIMEOUT", 300),
    "retry": env_int("Q_RETRY", 360),
    "max_attempts": 5,
    "ack_failures": True,
    "save_limit": 1000,
    "queue_limit": 50,
    "bulk": 5,
    "catch_up": False,  # a nightly job missed while down runs once, not once per missed night
    "label": "Background tasks",
    "orm": "default",
    "poll": env_int("Q_POLL", 1),
}
if Q_BROKER == "redis":
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL
elif Q_BROKER != "orm":
    raise ImproperlyConfigured(f"Q_BROKER={Q_BROKER!r}: use 'orm' (default) or 'redis'")

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Meetbridge API",
    "DESCRIPTION": "Book meetings and follow their CRM work.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}
# Seconds a process keeps a meeting type's booking context (type, hosts, rules, connections);
# changes saved elsewhere reach bookings within this time (meetings/booking_context.py).
MEETINGS_BOOKING_CONTEXT_TTL = env_int("MEETINGS_BOOKING_CONTEXT_TTL", 5)
# The bare baseline endpoint of `manage.py bench_bookings`; never on in a deployment.
MEETINGS_BENCH_ENDPOINTS = env_bool("MEETINGS_BENCH_ENDPOINTS", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
