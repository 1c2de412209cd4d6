"""Settings shared by every environment; values come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

from config.logs import logging_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# The defaults point at the private PostgreSQL and Redis that `make run` starts under var/,
# so `manage.py` in the same checkout talks to them with no extra environment.
DEFAULT_DATABASE_URL = "postgres://returnsdesk@127.0.0.1:55432/returnsdesk"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/0"

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",
    "csp",
    # The desk's apps, lowest layer first; docs/architecture.md draws them.
    "core",
    "intake",
    "webhooks",
    "budgets",
    "scoring",
    "casework",
    "insights",
]

MIDDLEWARE = [
    # First and last: the request rate and latency by view that /metrics reports.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Next, so that it sees every error answer the others give on an /api/ path.
    "casework.api.errors.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor, if any, verified the session (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # Staff sessions open desk pages and the admin only once their code is verified.
    "core.two_factor_middleware.StaffTwoFactorMiddleware",
    # A request id (the caller's X-Request-ID, else a new one) on every log line of the request;
    # stored on the returns it submits, so the worker's log of each decision carries it too.
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the lockout the login's authenticate() flagged on the request.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "insights.context_processors.drift_alarm",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=DEFAULT_DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# TCP keepalives: a peer that vanished (a cut network) is noticed in about a minute, not hours.
DATABASES["default"].setdefault("OPTIONS", {}).update(
    keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3
)
# The web server (config/asgi.py) runs each request in a thread of its own, so its connections
# come from a pool of at most this many per process, each checked before it is lent (the health
# checks above). 0 (workers, management commands) keeps one persistent connection per thread for
# CONN_MAX_AGE seconds.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # a connection goes back to the pool after use
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 2, "max_size": DATABASE_POOL_SIZE}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# PostgreSQL's limits on waits, in milliseconds, for the serving processes (config/db_bounds.py).
# A worker's statements may run longer than a request's (a batch is 250 returns) but stay under
# its task's soft time limit; both are stopped soon after idling inside a transaction.
DB_WAIT_LIMITS = {
    "web": {
        "lock_timeout": env.int("DB_WEB_LOCK_TIMEOUT_MS", default=5_000),
        "statement_timeout": env.int("DB_WEB_STATEMENT_TIMEOUT_MS", default=30_000),
        "idle_in_transaction_session_timeout": env.int("DB_WEB_IDLE_IN_TX_MS", default=30_000),
    },
    "worker": {
        "lock_timeout": env.int("DB_WORKER_LOCK_TIMEOUT_MS", default=30_000),
        "statement_timeout": env.int("DB_WORKER_STATEMENT_TIMEOUT_MS", default=100_000),
        "idle_in_transaction_session_timeout": env.int("DB_WORKER_IDLE_IN_TX_MS", default=60_000),
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default=DEFAULT_REDIS_URL)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "casework:queue"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins (the login page and the admin's) lock out the pair of username and
# client address for a cool-off: a guesser is stopped without letting anyone lock a colleague
# out from elsewhere. The attempts live in PostgreSQL, so every web process sees them. Another
# failure during the cool-off starts it again. Each login, failure and lockout is audited
# (core.receivers).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# Behind this many load balancers or reverse proxies, each of which appends the address it was
# reached from to X-Forwarded-For, the client is that many entries from the header's right end.
# With 0 the header is ignored (anyone can send one) and the client is the connection's peer.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_ip_address"

# Staff accounts (any desk role, or Django staff) sign in with a password and then a TOTP code
# from an authenticator app; the first time, they enroll one (core.two_factor_views). The API's
# keys are not affected. Off only where no real account lives (make run's demo, the tests).
STAFF_TOTP_REQUIRED = env.bool("STAFF_TOTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "Returns desk"
# The admin lists who has which device, never a device's secret or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "templates" / "static"]

# Model artifacts live outside anything a request can name; see scoring.services.models.
MODEL_ARTIFACT_DIR = Path(env("MODEL_ARTIFACT_DIR", default=str(VAR_DIR / "models")))
# The first model trains on DEFAULT_TRAINING_DATA and every retraining starts from it. Unset,
# it is the project's own data (ml.generate, fixed seed), written here on first need; callers
# go through scoring.selectors.training_data_default.
OWN_TRAINING_DATA = VAR_DIR / "data" / "returns_normal_generated.csv"
DEFAULT_TRAINING_DATA = Path(env("DEFAULT_TRAINING_DATA", default=str(OWN_TRAINING_DATA)))
# Every amount (order values, costs, budgets, the ledger) is in this currency; returns in any
# other are refused at intake.
DESK_CURRENCY = env("DESK_CURRENCY", default="USD")
# Budgets, portfolio days and review capacity count a return at the time it was received; its
# `submitted_at` is the retailer's information, accepted this far from now. A week back covers
# a retailer whose batch uploads lag by days (a weekend, an outage); older history goes through
# `manage.py import_returns`. Ahead of now only clock drift.
SUBMITTED_AT_MAX_AGE = timedelta(hours=env.int("SUBMITTED_AT_MAX_AGE_HOURS", default=7 * 24))
SUBMITTED_AT_MAX_AHEAD = timedelta(
    seconds=env.int("SUBMITTED_AT_MAX_AHEAD_SECONDS", default=5 * 60)
)

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request publishes a nudge after commit; it must never hang on a dead Redis.
# The database holds the work, so a lost nudge only delays a decision until the sweeper runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# Celery's Django fixup would open a database connection for every task (several milliseconds
# of a lone return's decision); a worker process keeps its connection for this many tasks
# instead, checked before each as a request's is, and dropped after a task that failed
# (config/celery_app.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casework.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "casework.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The strict field types read JSON; a form body could never pass them, so none is offered.
    "DEFAULT_PARSER_CLASSES": ["casework.api.parsers.BoundedJSONParser"],
    "UNAUTHENTICATED_USER": None,
    # Requests per API key (or signed-in user) in each period, by the view's throttle_scope;
    # counted in Redis (casework.api.limits). A batch of 1,000 returns is one request.
    "DEFAULT_THROTTLE_CLASSES": ["casework.api.limits.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "submit": env("API_RATE_SUBMIT", default="600/minute"),
        "read": env("API_RATE_READ", default="3000/minute"),
        "labels": env("API_RATE_LABELS", default="600/minute"),
        "verdicts": env("API_RATE_VERDICTS", default="600/minute"),
    },
}
# What the API limits count lives in Redis, shared by every web process; the default cache
# stays in process memory, since nothing else needs one. Short timeouts: a dead Redis must not
# hold a request up, and the limits let requests through without it (casework.api.limits).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api_limits": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "api-limits",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}
# How many GET /api/v1/returns/{id}?wait= one key may hold open at once, across processes;
# past it a request answers at once, with the Long-Poll-Skipped header. A wait is awaited on the
# event loop, so the cap guards memory and fairness between retailers, not threads.
API_CONCURRENT_WAITS_PER_KEY = env.int("API_CONCURRENT_WAITS_PER_KEY", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "Returns fraud desk API",
    "DESCRIPTION": "Submit returns, follow their decisions, work review cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["casework.api.permissions.CanReadApiDocs"],
    # The docs page's JavaScript is served from here, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Logs are JSON lines for a log pipeline (LOG_FORMAT=json) or plain text for a terminal
# (LOG_FORMAT=console, the default of the local settings), each with the request id.
LOGGING = logging_settings(
    env("LOG_FORMAT", default="json"), level=env("LOG_LEVEL", default="INFO")
)
# Celery tasks sent while serving a request carry its id into the worker's log lines.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# A caller's (or its proxy's) X-Request-ID names the request in the desk's logs too, so a
# retailer's support can quote its own id; without one the desk makes one up.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("TRUST_UPSTREAM_REQUEST_ID", default=True)

# Webhook deliveries: an endpoint's URL must be https unless a developer's or the tests'
# settings turn this off; each attempt waits this long for an answer; a delivery is retried,
# backing off, for this many hours; an endpoint is disabled after this many failures in a row;
# after a rotation the old secret signs too for this many hours. Deliveries go only to public
# addresses unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES: a developer's receivers, or an egress proxy
# on the private network that does the refusing instead (it is then what the desk connects to).
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=True)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=72)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)

# Prometheus scrapes /metrics with `Authorization: Bearer <this>`; empty, only a signed-in
# lead can read it.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Sessions are the desk's staff only (retailers use API keys): one idle for this long is signed
# out, since every request renews it.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Where HTTPS is enforced (production), load balancers still probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^healthz/pipeline$"]
SECURE_CONTENT_TYPE_NOSNIFF = True

# Pages run only the desk's own scripts and styles, served from here (the API docs' too).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Gauges and bars are sized by style attributes (width: N%); attributes cannot run code.
        "style-src-attr": [UNSAFE_INLINE],
        # The reports' charts and the API docs' icons are inline images.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
