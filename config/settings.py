"""Support Dojo settings, read from the environment through one helper.

Every variable has a safe local default so that `make run` works on a bare machine (SQLite,
in-memory channel layer, eager Celery). `DATABASE_URL` and `REDIS_URL` switch on the real
infrastructure; production (`DJANGO_DEBUG=false`) refuses to start without a secret key.
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-support-dojo-local-development-only-key-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "axes",
    "accounts",
    "scenarios",
    "sessions_app",
    "performance",
    "gamification",
    "overview",
]
# Development tooling from requirements-dev.txt: `make check` runs its `lintmigrations`.
if importlib.util.find_spec("django_migration_linter"):
    INSTALLED_APPS.append("django_migration_linter")

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.UserTimezoneMiddleware",
    # Last, as axes asks: it turns a lockout flagged during authentication into a 429 page.
    "axes.middleware.AxesMiddleware",
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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
    if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A pool per process, connections handed back after every request or database call.
        # For Django serving HTTP under an ASGI server (`make run` on PostgreSQL): there every
        # request runs in a thread of its own, and per-thread persistent connections ran
        # PostgreSQL out of connections under load (`make bench`, "too many clients"). Off by
        # default: `make serve` gives HTTP to WSGI threads, where persistent connections are
        # bounded by the thread count, and a connection a thread never closes (async ORM calls
        # in tests, for one) would be lost to the pool for good.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            # Channels consumers and the dev server write concurrently; wait instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery broker ----------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The channel layer's connections. redis-py 8 defaults to a 5 s socket timeout, which breaks
# the layer's blocking reads; None keeps them waiting as channels_redis expects. It also caps a
# pool at 100 connections and fails fast beyond that: with a few hundred sockets streaming at
# once, group_send raised "Too many connections" and a customer's reply was lost (`make bench`,
# 200 trainees). After a Redis restart every pooled connection is stale: without a retry each
# one failed once (a dropped handshake, a lost reply); with it a process recovers by itself.
REDIS_LAYER_OPTIONS = {
    "socket_timeout": None,
    "socket_connect_timeout": 2,
    "health_check_interval": 5,
    "retry": AsyncRetry(ExponentialBackoff(cap=0.5, base=0.05), 3),
    "retry_on_error": [RedisConnectionError],
    "max_connections": env.int("REDIS_LAYER_MAX_CONNECTIONS", default=2000),
}
# The cache's connections: the same recovery, and short timeouts, so that while Redis is down
# a request falls back to the database (core.cache) instead of hanging.
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "health_check_interval": 5,
    "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
    "retry_on_error": [RedisConnectionError],
}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, **REDIS_LAYER_OPTIONS}],
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dojo",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "core.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Template fragments many requests render the same (`{% cache … using="local" %}`), in each
# process: their keys name the build of the data they show, so they never need invalidating.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process at enqueue time so that `make run` needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Retries and countdowns must stay well below this, or Redis re-delivers a task still waiting.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # A restarted Redis: check an idle connection before use and retry a dropped one.
    "health_check_interval": 5,
    "retry_on_timeout": True,
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "expire-idle-sessions": {
        "task": "sessions_app.tasks.expire_idle_sessions",
        "schedule": 300.0,
    },
    "remind-due-assignments": {
        "task": "sessions_app.tasks.remind_due_assignments",
        "schedule": 900.0,
    },
    "sweep-unscored-sessions": {
        "task": "performance.tasks.sweep_unscored_sessions",
        "schedule": 30.0,
    },
}

# --- Auth and accounts ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (email, IP) pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 for new and re-hashed passwords; the others stay so that older hashes still verify
# (and are upgraded to Argon2 on the next successful login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Adds the display name: leaderboards never show anything taken from the e-mail address.
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# Sign-up must not tell a stranger which addresses have an account. allauth can hide it only
# while a new account waits for its address to be confirmed (a taken address then gets the same
# "check your inbox" answer, and its owner an e-mail), so production confirms addresses; `make
# run` keeps the instant sign-up of a demo. PREVENT_ENUMERATION="strict" would instead let the
# sign-up through to a second account with the same address, which our unique email refuses.
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory"
)
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Brute force, in two layers that never let a stranger lock a trainee out from elsewhere:
# allauth counts failures per client IP only (its default per-email limit would let anyone
# block any account), and axes locks one (email, IP) pair after AXES_FAILURE_LIMIT failures —
# on the allauth login, the admin login and the API token endpoint alike. Both keep their
# state in shared stores (axes in the database, allauth in the cache: Redis when configured).
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="20/5m/ip"),
}
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The three login forms name the email differently (allauth `login`, admin `username`, API
# `email`); one callable reads whichever is there, lower-cased like the stored addresses.
AXES_USERNAME_CALLABLE = "accounts.security.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.security.axes_lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Support Dojo <noreply@localhost>")

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes "not logged in" a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.EnvelopePagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.DojoAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
        # Only for views that set `throttle_scope` ("token", "messages"), on top of the above.
        "core.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "token": env.str("THROTTLE_TOKEN", default="10/min"),
        "messages": env.str("THROTTLE_MESSAGES", default="30/min"),
    },
    # One reverse proxy in front in production; X-Forwarded-For beyond it cannot reset limits.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Support Dojo API",
    "DESCRIPTION": (
        "Train customer-support agents against simulated customers.\n\n"
        "Authenticate with `Authorization: Token <key>` (get one from `POST /api/v1/auth/token/`) "
        "or, from the browser, the session cookie plus its CSRF token. Every success is "
        '`{"success": true, "data": …, "meta": {…}}`; every failure is '
        '`{"error": "<sentence>", "details": {…}}`. Throttled requests get a 429 with '
        "`Retry-After`. A guide with curl examples is in `docs/api.md`."
    ),
    "TAGS": [
        {"name": "accounts", "description": "You, your profile and your API token."},
        {"name": "scenarios", "description": "The catalogue, and starting a session."},
        {"name": "sessions", "description": "Chatting with the customer, ending, the report."},
        {"name": "performance", "description": "Your scores over time."},
        {"name": "gamification", "description": "Leaderboard and achievements."},
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and its docs are public on purpose (tests/api allow-lists them): they describe
    # the API to people who have no token yet. No authentication, so a stale token cannot 401 them.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "core.schema.envelope_postprocessing_hook",
        "drf_spectacular.hooks.postprocess_schema_enums",
    ],
}

# --- Customer engines ---------------------------------------------------------------------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=30.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)
OPENAI_REPLY_DEADLINE = env.float("OPENAI_REPLY_DEADLINE", default=60.0)
OPENAI_MAX_TOKENS_PER_REPLY = env.int("OPENAI_MAX_TOKENS_PER_REPLY", default=300)
OPENAI_MAX_TOKENS_PER_SESSION = env.int("OPENAI_MAX_TOKENS_PER_SESSION", default=20000)
# With a model configured, it may add written coaching to reports; scores stay with the rubric.
SCORING_JUDGE = env.bool("SCORING_JUDGE", default=True)
CUSTOMER_ENGINE = env.str("CUSTOMER_ENGINE", default="openai" if OPENAI_API_KEY else "offline")
# Seconds between streamed deltas of the offline engine: a natural typing pace; 0 in tests.
OFFLINE_ENGINE_PACE = env.float("OFFLINE_ENGINE_PACE", default=0.03)
# The customer pauses to read, then types at the persona's speed (sessions_app/pacing.py);
# each trainee may turn it off. Off in tests and benchmarks.
CUSTOMER_PACING = env.bool("CUSTOMER_PACING", default=True)

# --- Chat limits -------------------------------------------------------------------------
CHAT_MAX_MESSAGE_CHARS = 4000
CHAT_MAX_TURNS = env.int("CHAT_MAX_TURNS", default=60)
CHAT_RATE_LIMIT = env.str("CHAT_RATE_LIMIT", default="10/10s")
CHAT_MAX_ACTIVE_SESSIONS = env.int("CHAT_MAX_ACTIVE_SESSIONS", default=5)
# Threads (each with its own database connection) that run the chat sockets' database calls.
DB_THREADS = env.int("DB_THREADS", default=4)
# Each process keeps the scenario catalogue in memory; saves invalidate it everywhere at once
# (core.cache). This only bounds staleness after a write that bypassed the ORM.
CATALOGUE_CACHE_SECONDS = env.float("CATALOGUE_CACHE_SECONDS", default=60)
# A trainee's progress and criterion averages stay in the shared cache until one of their
# sessions starts, ends or is scored; this bounds changes that bypass the ORM's signals.
STANDING_CACHE_SECONDS = env.int("STANDING_CACHE_SECONDS", default=600)
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=60)

# --- Gamification ------------------------------------------------------------------------
# Each process keeps the leaderboard's ranking and recomputes it when XP, a new trainee or a
# rename bumps a shared version, or after this many seconds anyway; 0 queries every time.
LEADERBOARD_CACHE_SECONDS = env.int("LEADERBOARD_CACHE_SECONDS", default=30)

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]


def _websocket_sources(hosts: list[str], *, secure: bool) -> list[str]:
    """The app's own WebSocket origins, spelled out: older Safari does not let `'self'` cover
    ws(s):, and a bare `wss:` would let injected script talk to any server."""
    scheme = "wss" if secure else "ws"
    sources = []
    for host in hosts:
        if host == "*" or host.startswith("["):
            continue  # any host, or an IPv6 literal CSP cannot spell: 'self' covers those
        host = f"*{host}" if host.startswith(".") else host
        sources.append(f"{scheme}://{host}" if secure else f"{scheme}://{host}:*")
    return sources


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", *_websocket_sources(ALLOWED_HOSTS, secure=not DEBUG)],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        "client_fault": {"()": "core.logging.ClientFaultFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        # A request over DATA_UPLOAD_MAX_MEMORY_SIZE or DATA_UPLOAD_MAX_NUMBER_FIELDS/FILES:
        # answered with a 400 or 413 (core.views.bad_request), the client's fault.
        **{
            f"django.security.{name}": {"filters": ["client_fault"]}
            for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
        },
    },
}
