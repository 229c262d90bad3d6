"""Minhu settings. Everything that differs between deployments comes from the environment.

DATABASE_URL    default: SQLite file var/minhu.sqlite3 (postgres://user:pw@host:port/db for PostgreSQL)
MINHU_SECRET_KEY, MINHU_DEBUG (1/0), MINHU_ALLOWED_HOSTS (comma separated), MINHU_VAR_DIR
MINHU_HTTPS, MINHU_TLS_PROXY_HEADER, MINHU_HSTS_SECONDS  TLS switches (docs/security.md)
MINHU_SMS_BACKEND  dotted path of the SMS backend (default: log only)
MINHU_DB_PREPARE_THRESHOLD  PostgreSQL only: server-side prepared statements after N runs (off)
MINHU_NUM_PROXIES  trusted reverse proxies in front of Minhu (default 0): rate limits key on the
                   client address they append to X-Forwarded-For; with 0 the header is ignored
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MINHU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"
SECRET_KEY = os.environ.get("MINHU_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("MINHU_DEBUG", True)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "MINHU_DEBUG=0 needs MINHU_SECRET_KEY: the built-in key is public (docs/deploy.md)"
    )

# The household registry's key for ID numbers (Fernet, urlsafe base64 of 32 bytes; docs/registry.md).
# With DEBUG a key derived from SECRET_KEY is used; production refuses to start without one.
MINHU_REGISTRY_KEY = os.environ.get("MINHU_REGISTRY_KEY", "")
if not MINHU_REGISTRY_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("MINHU_DEBUG=0 needs MINHU_REGISTRY_KEY (docs/registry.md)")
    from minhu.registry.personal import derived_dev_key

    MINHU_REGISTRY_KEY = derived_dev_key(SECRET_KEY)

# HTTPS (docs/security.md): MINHU_HTTPS=1 when users reach Minhu over TLS: cookies Secure,
# HSTS, http:// redirected to https:// (the probes excepted). MINHU_TLS_PROXY_HEADER=1 when a
# proxy terminates TLS and sets X-Forwarded-Proto (nginx, docs/deploy.md).
HTTPS = env_bool("MINHU_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("MINHU_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MINHU_HSTS_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("MINHU_HSTS_PRELOAD", False)
if env_bool("MINHU_TLS_PROXY_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): scripts, styles, images and connections only from
# Minhu itself; no inline <script>/<style>, no style="" attributes, no on*="" handlers, no
# javascript: URLs (docs/security.md). A browser test fails on any violation. MINHU_CSP_REPORT_URI
# adds a report-uri for the browsers' violation reports.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **(
            {"report-uri": [os.environ["MINHU_CSP_REPORT_URI"]]}
            if os.environ.get("MINHU_CSP_REPORT_URI")
            else {}
        ),
    }
}
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("MINHU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("MINHU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "minhu.core.apps.StaticFilesConfig",  # django.contrib.staticfiles, fewer files collected
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "minhu.core",
    "minhu.orgs",
    "minhu.categories",
    "minhu.deadlines",
    "minhu.appeals",
    "minhu.notifications",
    "minhu.routing",
    "minhu.evaluation",
    "minhu.deputies",
    "minhu.wechat",
    "minhu.happiness",
    "minhu.surveys",
    "minhu.web",
    "minhu.residents",
    "minhu.registry",
    "minhu.open311",
    "minhu.visits",
    "minhu.consultation",
    "minhu.services",
    "minhu.demo",
]

MIDDLEWARE = [
    # Outermost: while the database is down every request gets a 503 with Retry-After.
    "minhu.core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # CONTENT_SECURITY_POLICY on every answer
    # Static files with DEBUG=0 (compressed, far-future cache headers for hashed names).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "minhu.core.ratelimit.StaffRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "minhu.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "minhu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minhu.web.context_processors.navigation",
            ],
        },
    },
]
WSGI_APPLICATION = "minhu.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'minhu.sqlite3'}",
        conn_max_age=60,
        # A persistent connection is checked before each request reuses it, so workers
        # reconnect by themselves after the database restarts.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers serialise
    # (SQLite has no SELECT ... FOR UPDATE); the timeout lets the second one wait.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif os.environ.get("MINHU_DB_PREPARE_THRESHOLD"):
    # PostgreSQL: server-side parameter binding, and psycopg prepares a statement on the
    # server after it ran this many times on a connection (planned once, not per request).
    # Off by default: measured in docs/performance.md; not behind a transaction-pooling proxy.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(os.environ["MINHU_DB_PREPARE_THRESHOLD"]),
    )

# The cache behind throttles, rate limits and cached computations. With MINHU_REDIS_URL
# (redis://127.0.0.1:6379/0) every worker process and every app node shares one Redis, so a
# limit of 30/min is 30/min in total; without it each process keeps its own memory cache
# (fine for one process: `make run`).
MINHU_REDIS_URL = os.environ.get("MINHU_REDIS_URL", "")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": MINHU_REDIS_URL,
    }
    if MINHU_REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
CACHES["default"]["KEY_PREFIX"] = "minhu"

# Background jobs (minhu/core/jobs.py): procrastinate on PostgreSQL (jobs table in the same
# database, `minhu worker`), inline after commit on SQLite (no extra service).
MINHU_JOBS = os.environ.get("MINHU_JOBS") or (
    "procrastinate" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "inline"
)
if MINHU_JOBS == "procrastinate":
    INSTALLED_APPS.insert(INSTALLED_APPS.index("minhu.core"), "procrastinate.contrib.django")
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "jobs"
# Extra modules that declare jobs (besides every app's jobs.py), comma separated.
PROCRASTINATE_IMPORT_PATHS = [m for m in os.environ.get("MINHU_JOB_MODULES", "").split(",") if m]
# `minhu worker`: a worker whose heartbeat is older than this is dead; its jobs are retried.
MINHU_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("MINHU_WORKER_HEARTBEAT_SECONDS", "10"))
# When the routing classifier is retrained from closed appeals (cron line; empty: never).
MINHU_RETRAIN_CRON = os.environ.get("MINHU_RETRAIN_CRON", "0 3 * * 0")
MINHU_WORKER_STALLED_SECONDS = float(os.environ.get("MINHU_WORKER_STALLED_SECONDS", "30"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"
# Sign-ins are throttled and locked out after repeated failures (orgs/login_guard.py).
AUTHENTICATION_BACKENDS = ["minhu.orgs.login_guard.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "minhu" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "minhu" / "static",
    # npm packages (package.json, installed by `make install`): {% static "vendor/htmx/htmx.min.js" %}
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # With DEBUG=0 (`minhu serve` runs collectstatic): hashed, compressed copies that
    # whitenoise serves with far-future cache headers; a name missing from the manifest falls
    # back to the plain file instead of failing the page.
    "staticfiles": {"BACKEND": "minhu.core.storage.StaticStorage"}
    if not DEBUG
    else {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "minhu.core.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "minhu.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "minhu.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "minhu.core.api.exception_handler",
    # The client address of the throttles: X-Forwarded-For only behind that many trusted
    # proxies (DRF would otherwise key on the whole header, which any client can set).
    "NUM_PROXIES": int(os.environ.get("MINHU_NUM_PROXIES", "0")),
    # Scopes used by the residents' endpoints (per client IP) and the token endpoint.
    "DEFAULT_THROTTLE_RATES": {
        "public": os.environ.get("MINHU_PUBLIC_API_RATE", "30/min"),
        "auth": os.environ.get("MINHU_AUTH_API_RATE", "10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Minhu API",
    "DESCRIPTION": "Closed-loop handling of residents' appeals (接诉即办).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # `<id:pk>` (minhu.core.routers.IdConverter): a positive 64-bit integer.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1},
    },
    # One name per choice set shared by several serializers.
    "ENUM_NAME_OVERRIDES": {
        "AppealStatusEnum": "minhu.appeals.models.Status",
        "AssignmentStatusEnum": "minhu.appeals.models.AssignmentStatus",
        "AssignmentRoleEnum": "minhu.appeals.models.AssignmentRole",
        "ExtensionStatusEnum": "minhu.appeals.models.ExtensionStatus",
        "SummonsStatusEnum": "minhu.appeals.models.SummonsStatus",
        "ChannelEnum": "minhu.appeals.models.Channel",
        "WechatRecordKindEnum": "minhu.wechat.models.RecordKind",
        "SurveyQuestionKindEnum": "minhu.surveys.models.QuestionKind",
        # every registered channel (minhu.appeals.kinds: open311 and the apps' own)
        "RegisteredChannelEnum": "minhu.appeals.kinds.channel_choices",
        "PublicChannelEnum": "minhu.appeals.api.serializers.PUBLIC_CHANNEL_CHOICES",
        "EventKindEnum": "minhu.appeals.models.EventKind",
        "RoleEnum": "minhu.orgs.models.Role",
        "UnitKindEnum": "minhu.orgs.models.UnitKind",
        "HandlingUnitKindEnum": "minhu.categories.api.serializers.HANDLING_KIND_CHOICES",
        "NotificationKindEnum": "minhu.notifications.models.NotificationKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "minhu": {"handlers": ["console"], "level": "INFO"},
        # Unhandled exceptions (500s) go to stderr whatever DEBUG says (Django's default
        # prints them only with DEBUG=1); 4xx warnings stay quiet.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- Minhu domain settings -------------------------------------------------------------
# Working hours used for "working hours" time limits and for the end of a working day.
MINHU_WORK_START = os.environ.get("MINHU_WORK_START", "09:00")
MINHU_WORK_END = os.environ.get("MINHU_WORK_END", "17:30")
# An open step is "due soon" when its due time is within this many hours.
MINHU_DUE_SOON_HOURS = int(os.environ.get("MINHU_DUE_SOON_HOURS", "24"))
MINHU_REPEAT_CALLER_DAYS = int(os.environ.get("MINHU_REPEAT_CALLER_DAYS", "30"))  # intake flag
# How many times an appeal may be reopened by an unsatisfied rating before it needs a leader.
MINHU_MAX_REOPENS = int(os.environ.get("MINHU_MAX_REOPENS", "3"))
MINHU_SMS_BACKEND = os.environ.get("MINHU_SMS_BACKEND", "minhu.notifications.sms.LogSMSBackend")
MINHU_UPLOAD_MAX_BYTES = 8 * 1024 * 1024  # one photo
MINHU_UPLOAD_MAX_TOTAL_BYTES = 20 * 1024 * 1024  # the photos of one request together
MINHU_UPLOAD_MAX_PIXELS = 50_000_000  # refused above (decompression bombs)
MINHU_UPLOAD_MAX_SIDE = 4096  # longest side after re-encoding
MINHU_UPLOAD_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
# Called (dotted paths) after an appeal is registered, once the transaction commits.
MINHU_INTAKE_HOOKS: list[str] = ["minhu.routing.intake.on_register"]
# Called (dotted paths) with each AppealEvent once its transaction commits.
MINHU_EVENT_HOOKS: list[str] = ["minhu.routing.feedback.on_event"]
# Routing: automatic dispatch when the classifier's confidence reaches this (RoutingConfig may
# override it in the admin).
MINHU_AUTO_DISPATCH_THRESHOLD = float(os.environ.get("MINHU_AUTO_DISPATCH_THRESHOLD", "0.85"))
SILENCED_SYSTEM_CHECKS = ["models.W047"]
