"""Spark settings, all from the environment, with embedded defaults that need nothing installed.

Every variable is documented in the README's settings table.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from spark_site.env import env_bool, env_decimal, env_float, env_int, env_list, env_str
from spark_site.exchange_env import PRESETS, SIM, environment_of

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SPARK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("SPARK_DEBUG", False)
SECRET_KEY = env_str("SPARK_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not env_bool("SPARK_ALLOW_GENERATED_SECRET", True):
        raise ImproperlyConfigured("SPARK_SECRET_KEY is required when SPARK_DEBUG is off")
    # A per-process key is safe but logs everyone out on restart; production sets the variable.
    SECRET_KEY = "dev-" + secrets.token_urlsafe(48)

ALLOWED_HOSTS = env_list("SPARK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("SPARK_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "django_prometheus",
    "audit",
    "accounts",
    "risk",
    "futures",
    "canary",
    "portfolio",
    "copilot",
    "strategies",
    "notifications",
    "history",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After sessions and auth: the site is Turkish unless the user picked English.
    "spark_site.locale.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "spark_site.middleware.RequestContextMiddleware",
    # Every page needs the viewer role; the public pages are listed in spark_site/access.py.
    "spark_site.access.PageAccessMiddleware",
    "spark_site.middleware.JsonErrorsForApiMiddleware",
    # Innermost: a view failing on an unreachable Redis answers 503 (spark_site/degraded.py).
    "spark_site.degraded.RedisDownMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "spark_site.urls"
ASGI_APPLICATION = "spark_site.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "spark_site.context.site",
            ],
            # `label`, `usd` and `num` on every page without a {% load %}.
            "builtins": ["spark_site.templatetags.spark"],
        },
    }
]

# Worker threads that serve HTTP requests in each web process (spark_site/http_handler.py).
SPARK_HTTP_THREADS = env_int("SPARK_HTTP_THREADS", 32, minimum=1)

# --- Database: SQLite file by default, DATABASE_URL for PostgreSQL -------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "spark.sqlite3",
            # Kept by the HTTP worker threads between requests (spark_site/http_handler.py).
            "CONN_MAX_AGE": 60,
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE transactions serialize writers, so two orders cannot both read the same
    # risk state and both pass; the timeout waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Test databases are files so a Daphne subprocess can share them with the test process;
    # the pid keeps parallel test runs apart.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-spark-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_spark_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer: in-memory by default, REDIS_URL for channels-redis ----------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis'
            # 5 s BZPOPMIN: an idle receive then raised TimeoutError every time the server's
            # blocking pop ended empty. The read timeout must outlast the blocking pop.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, sessions, security ----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# PermissionBackend reads a user's permissions in one statement (per request, no cache);
# ModelBackend checks passwords and keeps sessions signed in under its name valid.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.PermissionBackend",
    "accounts.backends.ThrottledPasswordBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Bodies above this are refused with 413 before anything parses them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SPARK_MAX_BODY_BYTES", 256 * 1024, minimum=1024)
# GETs (status reads) are open on the embedded default; false makes every GET but
# /health and /metrics need at least the viewer role.
SPARK_PUBLIC_READS = env_bool("SPARK_PUBLIC_READS", True)
SPARK_LOGIN_ATTEMPTS_PER_MINUTE = env_int("SPARK_LOGIN_ATTEMPTS_PER_MINUTE", 5, minimum=1)

# --- i18n: Turkish first, English second -------------------------------------------------------
LANGUAGE_CODE = "tr"
LANGUAGES = [("tr", _("Türkçe")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"

# --- Exchange: the local stand-in by default -----------------------------------------------------
BINANCE_FUTURES_ENV = env_str("BINANCE_FUTURES_ENV", SIM)
if BINANCE_FUTURES_ENV not in PRESETS:
    raise ImproperlyConfigured(
        f"BINANCE_FUTURES_ENV must be one of {sorted(PRESETS)}, got {BINANCE_FUTURES_ENV!r}"
    )
_rest, _ws, _routed = PRESETS[BINANCE_FUTURES_ENV]
BINANCE_FUTURES_BASE_URL = env_str("BINANCE_FUTURES_BASE_URL", _rest).rstrip("/")
BINANCE_FUTURES_WS_URL = env_str("BINANCE_FUTURES_WS_URL", _ws).rstrip("/")
BINANCE_FUTURES_WS_ROUTED = env_bool("BINANCE_FUTURES_WS_ROUTED", _routed)
# The environment is derived from the configured URL, not from the preset name or a request.
BINANCE_FUTURES_RESOLVED_ENV = environment_of(BINANCE_FUTURES_BASE_URL)
_SIM_DEMO_KEY = "spark-demo-key"
_SIM_DEMO_SECRET = "spark-demo-secret-0000000000000000"
BINANCE_API_KEY = env_str(
    "BINANCE_API_KEY", _SIM_DEMO_KEY if BINANCE_FUTURES_RESOLVED_ENV == SIM else ""
)
BINANCE_API_SECRET = env_str(
    "BINANCE_API_SECRET", _SIM_DEMO_SECRET if BINANCE_FUTURES_RESOLVED_ENV == SIM else ""
)
BINANCE_RECV_WINDOW = env_int("BINANCE_RECV_WINDOW", 5000, minimum=1)
BINANCE_HTTP_TIMEOUT = env_int("BINANCE_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
# Binance's WebSocket API (order requests over one socket); testnet and demo share one host.
_WS_API = {
    "live": "wss://ws-fapi.binance.com/ws-fapi/v1",
    "testnet": "wss://testnet.binancefuture.com/ws-fapi/v1",
    "demo": "wss://testnet.binancefuture.com/ws-fapi/v1",
}
BINANCE_FUTURES_WS_API_URL = env_str(
    "BINANCE_FUTURES_WS_API_URL",
    _WS_API.get(BINANCE_FUTURES_ENV, f"{BINANCE_FUTURES_WS_URL}/ws-fapi/v1"),
).rstrip("/")
# How orders reach the exchange: "rest" (POST /fapi/v1/order...) or "ws" (the WebSocket API,
# futures.binance.ws_api). Read by futures.binance.ws_api.order_client_from_settings(), which
# place, cancel and modify use.
SPARK_ORDER_TRANSPORT = env_str("SPARK_ORDER_TRANSPORT", "rest").strip().lower()
if SPARK_ORDER_TRANSPORT not in ("rest", "ws"):
    raise ImproperlyConfigured(
        f"SPARK_ORDER_TRANSPORT must be rest or ws, got {SPARK_ORDER_TRANSPORT!r}"
    )
BINANCE_SPOT_BASE_URL = env_str("BINANCE_SPOT_BASE_URL", BINANCE_FUTURES_BASE_URL).rstrip("/")
BINANCE_SPOT_API_KEY = env_str("BINANCE_SPOT_API_KEY", BINANCE_API_KEY)
BINANCE_SPOT_API_SECRET = env_str("BINANCE_SPOT_API_SECRET", BINANCE_API_SECRET)
BTCTURK_BASE_URL = env_str("BTCTURK_BASE_URL", BINANCE_FUTURES_BASE_URL).rstrip("/")
BTCTURK_API_KEY = env_str(
    "BTCTURK_API_KEY", "spark-demo-btcturk" if BINANCE_FUTURES_RESOLVED_ENV == SIM else ""
)
BTCTURK_API_SECRET = env_str(
    "BTCTURK_API_SECRET",
    "c3BhcmstZGVtby1idGN0dXJrLXNlY3JldA==" if BINANCE_FUTURES_RESOLVED_ENV == SIM else "",
)

# --- Orders -------------------------------------------------------------------------------------
SPARK_MARK_PRICE_MAX_AGE = env_float("SPARK_MARK_PRICE_MAX_AGE", 2, minimum=0)
SPARK_POSITION_MAX_AGE = env_float("SPARK_POSITION_MAX_AGE", 5, minimum=0)
# seconds a reading of the account's position mode (one-way / hedge) serves orders before it is
# read again; every user-stream reconnect and every -4061 answer reads it at once
SPARK_POSITION_MODE_MAX_AGE = env_float("SPARK_POSITION_MODE_MAX_AGE", 10, minimum=0)
SPARK_DRY_RUN_SLIPPAGE_BPS = env_decimal("SPARK_DRY_RUN_SLIPPAGE_BPS", "2")
SPARK_DRY_RUN_TAKER_FEE = env_decimal("SPARK_DRY_RUN_TAKER_FEE", "0.0005")
SPARK_DRY_RUN_MAKER_FEE = env_decimal("SPARK_DRY_RUN_MAKER_FEE", "0.0002")
SPARK_RECONCILE_PENDING_GRACE_SECONDS = env_float(
    "SPARK_RECONCILE_PENDING_GRACE_SECONDS", 30, minimum=0
)

# --- Streams ------------------------------------------------------------------------------------
SPARK_STREAMS_EMBEDDED = env_bool("SPARK_STREAMS_EMBEDDED", True)
SPARK_STREAM_SYMBOLS = env_list("SPARK_STREAM_SYMBOLS", "BTCUSDT,ETHUSDT")
SPARK_LISTEN_KEY_KEEPALIVE_SECONDS = env_int("SPARK_LISTEN_KEY_KEEPALIVE_SECONDS", 1800, minimum=1)
SPARK_RECONCILE_ON_START = env_bool("SPARK_RECONCILE_ON_START", True)
SPARK_STREAM_SILENCE_SECONDS = env_float("SPARK_STREAM_SILENCE_SECONDS", 30, minimum=0.1)
# The run_streams process serves its own /metrics here unless PROMETHEUS_MULTIPROC_DIR is
# shared with the web workers (then their /metrics carry its values); 0 turns it off.
SPARK_STREAMS_METRICS_PORT = env_int("SPARK_STREAMS_METRICS_PORT", 9108, minimum=0)
SPARK_STREAMS_METRICS_ADDR = env_str("SPARK_STREAMS_METRICS_ADDR", "127.0.0.1")

# --- Portfolio -----------------------------------------------------------------------------------
PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS = env_float("PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS", 5, minimum=0.1)
PORTFOLIO_MAX_AGE_SECONDS = env_float("PORTFOLIO_MAX_AGE_SECONDS", 30, minimum=0)
PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS = env_float(
    "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS", 60, minimum=0
)
# USD totals are shown in TRY too (portfolio/fx.py): BTCTurk's USDTTRY, read at most this often,
# marked stale on pages once BTCTurk's own timestamp is older than the max age.
PORTFOLIO_FX_REFRESH_SECONDS = env_float("PORTFOLIO_FX_REFRESH_SECONDS", 30, minimum=0)
PORTFOLIO_FX_MAX_AGE_SECONDS = env_float("PORTFOLIO_FX_MAX_AGE_SECONDS", 300, minimum=0)

# --- Canary and risk defaults ---------------------------------------------------------------------
SPARK_CANARY_CONFIRM_TTL_SECONDS = env_int("SPARK_CANARY_CONFIRM_TTL_SECONDS", 600, minimum=1)
SPARK_DEFAULT_MAX_NOTIONAL_USD = env_decimal("SPARK_DEFAULT_MAX_NOTIONAL_USD", "100")
SPARK_DEFAULT_DAILY_LOSS_LIMIT_USD = env_decimal("SPARK_DEFAULT_DAILY_LOSS_LIMIT_USD", "50")
SPARK_DEFAULT_MAX_POSITION_USD = env_decimal("SPARK_DEFAULT_MAX_POSITION_USD", "500")
SPARK_RISK_METRICS_SECONDS = env_float("SPARK_RISK_METRICS_SECONDS", 15, minimum=0.1)
# What the daily loss limit counts: net (realized PnL + commissions + funding, what the wallet
# lost) or realized (realized PnL only). The gate, the breaker, the status and the alert metric
# all follow it (risk.budget.loss_budget_of).
SPARK_DAILY_LOSS_COUNTS = env_str("SPARK_DAILY_LOSS_COUNTS", "net").strip().lower()
if SPARK_DAILY_LOSS_COUNTS not in ("net", "realized"):
    raise ImproperlyConfigured(
        f"SPARK_DAILY_LOSS_COUNTS must be net or realized, got {SPARK_DAILY_LOSS_COUNTS!r}"
    )
SPARK_CANARY_DEFAULT_SYMBOL = env_str("SPARK_CANARY_DEFAULT_SYMBOL", "ETHUSDT")
SPARK_CANARY_DEFAULT_QUANTITY = env_decimal("SPARK_CANARY_DEFAULT_QUANTITY", "0.008")

# --- Copilot: the optional language-model fallback (off unless a URL is set) --------------------
SPARK_COPILOT_LLM_URL = env_str("SPARK_COPILOT_LLM_URL", "")  # an OpenAI-compatible base URL
SPARK_COPILOT_LLM_MODEL = env_str("SPARK_COPILOT_LLM_MODEL", "llama3.1")
SPARK_COPILOT_LLM_API_KEY = env_str("SPARK_COPILOT_LLM_API_KEY", "")
SPARK_COPILOT_LLM_TIMEOUT_SECONDS = env_float("SPARK_COPILOT_LLM_TIMEOUT_SECONDS", 5, minimum=0.1)
# consent to send account figures (symbols and sizes of positions) along with the sentence
SPARK_COPILOT_LLM_SEND_ACCOUNT = env_bool("SPARK_COPILOT_LLM_SEND_ACCOUNT", False)
# --- Notifications and the Telegram desk (notifications/) -----------------------------------------
# Run the delivery worker (and the Telegram long poll) inside the web process; scale-out runs
# `manage.py run_notifier` instead and sets this to false.
SPARK_NOTIFIER_EMBEDDED = env_bool("SPARK_NOTIFIER_EMBEDDED", True)
SPARK_NOTIFIER_METRICS_PORT = env_int("SPARK_NOTIFIER_METRICS_PORT", 9109, minimum=0)
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN")
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
TELEGRAM_POLL_TIMEOUT_SECONDS = env_int("TELEGRAM_POLL_TIMEOUT_SECONDS", 25, minimum=0)
SPARK_NOTIFY_MAX_ATTEMPTS = env_int("SPARK_NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
SPARK_NOTIFY_BACKOFF_SECONDS = env_float("SPARK_NOTIFY_BACKOFF_SECONDS", 2, minimum=0)
SPARK_NOTIFY_LEASE_SECONDS = env_float("SPARK_NOTIFY_LEASE_SECONDS", 60, minimum=1)
SPARK_NOTIFY_POLL_SECONDS = env_float("SPARK_NOTIFY_POLL_SECONDS", 1, minimum=0.01)
# How often the worker looks for daily summaries whose Istanbul time has come.
SPARK_NOTIFY_SUMMARY_CHECK_SECONDS = env_float("SPARK_NOTIFY_SUMMARY_CHECK_SECONDS", 30, minimum=0)
# Off: the worker writes no daily summaries (a desk that reads its figures elsewhere).
SPARK_NOTIFY_DAILY_SUMMARIES = env_bool("SPARK_NOTIFY_DAILY_SUMMARIES", True)
# Streams down this long (seconds) become a notification; their return, another.
SPARK_NOTIFY_STREAMS_DOWN_SECONDS = env_float("SPARK_NOTIFY_STREAMS_DOWN_SECONDS", 60, minimum=0)
# Telegram webhook mode: the public HTTPS URL of /notifications/telegram/webhook and the secret
# Telegram echoes in X-Telegram-Bot-Api-Secret-Token. Empty URL: long polling (no public URL).
TELEGRAM_WEBHOOK_URL = env_str("TELEGRAM_WEBHOOK_URL")
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET")
# messages per second per channel (Telegram allows about 30 a second per bot)
SPARK_NOTIFY_TELEGRAM_PER_SECOND = env_float("SPARK_NOTIFY_TELEGRAM_PER_SECOND", 25, minimum=0.1)
SPARK_NOTIFY_WEBHOOK_PER_SECOND = env_float("SPARK_NOTIFY_WEBHOOK_PER_SECOND", 10, minimum=0.1)
SPARK_NOTIFY_EMAIL_PER_SECOND = env_float("SPARK_NOTIFY_EMAIL_PER_SECOND", 2, minimum=0.1)
SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS = env_float("SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS", 10, minimum=0.1)
SPARK_TELEGRAM_LINK_CODE_TTL_SECONDS = env_int(
    "SPARK_TELEGRAM_LINK_CODE_TTL_SECONDS", 600, minimum=1
)
SPARK_TELEGRAM_BUTTON_TTL_SECONDS = env_int("SPARK_TELEGRAM_BUTTON_TTL_SECONDS", 300, minimum=1)
# Bearer token Alertmanager sends to /notifications/alertmanager (empty: the endpoint is off).
SPARK_ALERTMANAGER_TOKEN = env_str("SPARK_ALERTMANAGER_TOKEN")
EMAIL_BACKEND = env_str("SPARK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("SPARK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SPARK_EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = env_str("SPARK_EMAIL_FROM", "spark@localhost")

# --- Logging: secrets never reach the log (see spark_site.logging_filters) ------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "spark_site.logging_filters.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env_str("SPARK_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

PROMETHEUS_EXPORT_MIGRATIONS = False
