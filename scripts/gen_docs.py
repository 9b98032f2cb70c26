"""Rewrite the generated blocks of docs/en and docs/tr from the code, so they cannot drift.

    .venv/bin/python scripts/gen_docs.py          # rewrite the blocks
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 if a block is stale (tests/docs runs it)

Blocks are marked `<!-- BEGIN GENERATED: name -->` ... `<!-- END GENERATED: name -->`:

- `copilot-commands` (user-guide.md): every command of `copilot.parser.command_table()`.
- `settings` (operations.md): every environment variable read by `spark_site/settings.py`
  through the `env_*` readers, with its default and effect from
  SETTINGS below. A variable settings.py reads that SETTINGS does not describe stops the
  generator: describe it here (both languages) and run it again.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGS = ("en", "tr")
ENV_READERS = {"env_str", "env_bool", "env_int", "env_float", "env_decimal", "env_list"}

# name: (default shown, English effect, Turkish effect). The default shown is one string for
# both languages or an (English, Turkish) pair; None takes the literal default of settings.py.
SETTINGS: dict[str, tuple[str | tuple[str, str] | None, str, str]] = {
    "SPARK_VAR_DIR": (
        "`./var`",
        "where the SQLite database (and, under `make run`, the stand-in state) live",
        "SQLite veritabanının (ve `make run` altında stand-in durumunun) durduğu dizin",
    ),
    "SPARK_DEBUG": (
        None,
        "Django debug pages; never in production",
        "Django hata sayfaları; üretimde asla",
    ),
    "SPARK_SECRET_KEY": (
        ("generated per process", "süreç başına üretilir"),
        "session/CSRF signing key; set it in production (a generated key logs everyone out "
        "on restart)",
        "oturum/CSRF imza anahtarı; üretimde verin (üretilen anahtar yeniden başlatmada herkesi "
        "dışarı atar)",
    ),
    "SPARK_ALLOW_GENERATED_SECRET": (
        None,
        "`false`: refuse to start without `SPARK_SECRET_KEY` when debug is off",
        "`false`: debug kapalıyken `SPARK_SECRET_KEY` yoksa başlamayı reddeder",
    ),
    "SPARK_ALLOWED_HOSTS": (
        None,
        "host names served (comma-separated)",
        "sunulan host adları (virgülle)",
    ),
    "SPARK_CSRF_TRUSTED_ORIGINS": (
        ("empty", "boş"),
        "origins allowed to POST with a session behind a proxy (`https://spark.example.com`)",
        "proxy arkasında oturumla POST yapabilen kökenler (`https://spark.example.com`)",
    ),
    "DATABASE_URL": (
        ("SQLite `$SPARK_VAR_DIR/spark.sqlite3`", "SQLite `$SPARK_VAR_DIR/spark.sqlite3`"),
        "PostgreSQL, e.g. `postgres://spark@db:5432/spark`",
        "PostgreSQL, ör. `postgres://spark@db:5432/spark`",
    ),
    "REDIS_URL": (
        ("in-memory layer and cache", "bellek içi katman ve önbellek"),
        "channels-redis layer + Redis cache (needed for several processes)",
        "channels-redis katmanı + Redis önbelleği (birden çok süreç için gerekli)",
    ),
    "SPARK_MAX_BODY_BYTES": (
        "`262144`",
        "larger request bodies get 413 `PAYLOAD_TOO_LARGE`",
        "daha büyük istek gövdeleri 413 `PAYLOAD_TOO_LARGE` alır",
    ),
    "SPARK_PUBLIC_READS": (
        None,
        "`false`: every API GET but `/health` and `/metrics` needs at least the viewer role"
        " (pages always need a login)",
        "`false`: `/health` ve `/metrics` dışındaki her API GET'i en az viewer rolü ister"
        " (sayfalar her zaman giriş ister)",
    ),
    "SPARK_LOGIN_ATTEMPTS_PER_MINUTE": (
        None,
        "login attempts per client IP per minute, then 429",
        "istemci IP'si başına dakikada giriş denemesi, sonra 429",
    ),
    "BINANCE_FUTURES_ENV": (
        "`sim`",
        "preset: `sim` (local stand-in), `testnet`, `demo`, `live`",
        "ön ayar: `sim` (yerel stand-in), `testnet`, `demo`, `live`",
    ),
    "BINANCE_FUTURES_BASE_URL": (
        ("from the preset", "ön ayardan"),
        "REST base URL; the environment (sim/testnet/demo/live) is derived from it",
        "REST adresi; ortam (sim/testnet/demo/live) bundan çıkarılır",
    ),
    "BINANCE_FUTURES_WS_URL": (
        ("from the preset", "ön ayardan"),
        "WebSocket root",
        "WebSocket kökü",
    ),
    "BINANCE_FUTURES_WS_ROUTED": (
        ("`true` for `live`", "`live` için `true`"),
        "use Binance's `/public`, `/market`, `/private` WebSocket routes",
        "Binance'in `/public`, `/market`, `/private` WebSocket yollarını kullanır",
    ),
    "BINANCE_API_KEY": (
        ("stand-in demo key on `sim`, else empty", "`sim`de stand-in demo anahtarı, yoksa boş"),
        "futures API key",
        "futures API anahtarı",
    ),
    "BINANCE_API_SECRET": (
        ("stand-in demo secret on `sim`, else empty", "`sim`de stand-in demo gizlisi, yoksa boş"),
        "futures API secret (never logged, never in errors or evidence): an HMAC secret, or an "
        "Ed25519 private key in PEM form (`\\n` escapes accepted)",
        "futures API gizli anahtarı (loglara, hatalara, kanıta asla girmez): HMAC gizlisi ya da "
        "PEM biçiminde Ed25519 özel anahtarı (`\\n` kaçışları kabul edilir)",
    ),
    "BINANCE_FUTURES_WS_API_URL": (
        (
            "from the preset (`<WS root>/ws-fapi/v1` on `sim`)",
            "ön ayardan (`sim`de `<WS kökü>/ws-fapi/v1`)",
        ),
        "Binance's WebSocket API (order requests over one socket)",
        "Binance WebSocket API'si (tek soket üzerinden emir istekleri)",
    ),
    "SPARK_ORDER_TRANSPORT": (
        None,
        "`rest` or `ws`: how Spark's orders (place, cancel, modify) reach the exchange (REST "
        "calls or the WebSocket API; batches and reads stay on REST)",
        "`rest` ya da `ws`: Spark'ın emirlerinin (verme, iptal, değiştirme) borsaya nasıl "
        "gittiği (REST ya da WebSocket API; toplu emirler ve okumalar REST'te kalır)",
    ),
    "BINANCE_RECV_WINDOW": (None, "signed request window, ms", "imzalı istek penceresi, ms"),
    "BINANCE_HTTP_TIMEOUT_SECONDS": (None, "exchange HTTP timeout", "borsa HTTP zaman aşımı"),
    "BINANCE_SPOT_BASE_URL": (
        ("the futures base URL", "futures adresi"),
        "Binance Spot account for the portfolio",
        "portföy için Binance Spot hesabı",
    ),
    "BINANCE_SPOT_API_KEY": (
        ("the futures key", "futures anahtarı"),
        "Binance Spot key",
        "Binance Spot anahtarı",
    ),
    "BINANCE_SPOT_API_SECRET": (
        ("the futures secret", "futures gizli anahtarı"),
        "Binance Spot secret",
        "Binance Spot gizli anahtarı",
    ),
    "BTCTURK_BASE_URL": (
        ("the futures base URL", "futures adresi"),
        "BTCTurk account for the portfolio",
        "portföy için BTCTurk hesabı",
    ),
    "BTCTURK_API_KEY": (
        ("stand-in demo key on `sim`, else empty", "`sim`de stand-in demo anahtarı, yoksa boş"),
        "BTCTurk key",
        "BTCTurk anahtarı",
    ),
    "BTCTURK_API_SECRET": (
        ("stand-in demo secret on `sim`, else empty", "`sim`de stand-in demo gizlisi, yoksa boş"),
        "BTCTurk secret (base64)",
        "BTCTurk gizli anahtarı (base64)",
    ),
    "SPARK_STREAMS_EMBEDDED": (
        None,
        "run the stream supervisor inside the web process; `false` when `run_streams` runs",
        "akış yöneticisini web sürecinin içinde çalıştırır; `run_streams` çalışıyorsa `false`",
    ),
    "SPARK_STREAM_SYMBOLS": (
        None,
        "market streams started by default (comma-separated)",
        "varsayılan başlatılan piyasa akışları (virgülle)",
    ),
    "SPARK_LISTEN_KEY_KEEPALIVE_SECONDS": (
        None,
        "user-stream listen key keepalive period",
        "kullanıcı akışı listen key yenileme aralığı",
    ),
    "SPARK_RECONCILE_ON_START": (
        None,
        "reconcile orders with the exchange at start-up",
        "başlangıçta emirleri borsayla uzlaştırır",
    ),
    "SPARK_CANARY_CONFIRM_TTL_SECONDS": (
        None,
        "how long a canary run may be confirmed (then 409 `CANARY_EXPIRED`)",
        "bir canary koşusunun onaylanabileceği süre (sonra 409 `CANARY_EXPIRED`)",
    ),
    "SPARK_DEFAULT_MAX_NOTIONAL_USD": (
        None,
        "initial max notional per order (then edited in admin)",
        "emir başına ilk azami nominal (sonra admin'de düzenlenir)",
    ),
    "SPARK_DEFAULT_DAILY_LOSS_LIMIT_USD": (
        None,
        "initial daily loss limit (then edited in admin)",
        "ilk günlük zarar limiti (sonra admin'de düzenlenir)",
    ),
    "SPARK_HTTP_THREADS": (
        None,
        "worker threads serving HTTP requests in each web process; more requests wait their turn",
        "her web sürecinde HTTP isteklerine hizmet eden iş parçacığı; fazlası sırasını bekler",
    ),
    "SPARK_MARK_PRICE_MAX_AGE": (
        None,
        "seconds a cached mark price may be old when an order is checked (else fetched)",
        "emir denetiminde önbellekteki mark fiyatının en fazla yaşı, saniye (yoksa çekilir)",
    ),
    "SPARK_POSITION_MAX_AGE": (
        None,
        "seconds a stored position may be old before a live order re-reads it over REST",
        "canlı emirden önce saklı pozisyonun en fazla yaşı, saniye (yoksa REST ile okunur)",
    ),
    "SPARK_POSITION_MODE_MAX_AGE": (
        None,
        "seconds a reading of the account's position mode (one-way / hedge) serves orders before "
        "it is read again; a user-stream reconnect or a `-4061` answer reads it at once",
        "hesabın pozisyon modu (tek yönlü / çift yönlü) okumasının emirlere yettiği en fazla "
        "saniye; kullanıcı akışı yeniden bağlanınca veya `-4061` yanıtında hemen yeniden okunur",
    ),
    "SPARK_DRY_RUN_SLIPPAGE_BPS": (
        None,
        "slippage applied to simulated (dry-run) fills, basis points",
        "simüle (dry-run) dolumlara uygulanan kayma, baz puan",
    ),
    "SPARK_DRY_RUN_TAKER_FEE": (
        None,
        "taker fee rate of simulated fills",
        "simüle dolumların taker komisyonu",
    ),
    "SPARK_DRY_RUN_MAKER_FEE": (
        None,
        "maker fee rate of simulated fills",
        "simüle dolumların maker komisyonu",
    ),
    "SPARK_RECONCILE_PENDING_GRACE_SECONDS": (
        None,
        "a PENDING_SUBMIT order younger than this is not marked rejected by reconcile",
        "bundan genç PENDING_SUBMIT emirler uzlaştırmada reddedildi sayılmaz",
    ),
    "SPARK_STREAM_SILENCE_SECONDS": (
        None,
        "a stream silent this long is reconnected",
        "bu kadar sessiz kalan akış yeniden bağlanır",
    ),
    "SPARK_STREAMS_METRICS_PORT": (
        None,
        "`run_streams` serves its own /metrics here when `PROMETHEUS_MULTIPROC_DIR` is not "
        "shared; `0` turns it off",
        "`PROMETHEUS_MULTIPROC_DIR` paylaşılmıyorsa `run_streams` kendi /metrics'ini burada "
        "sunar; `0` kapatır",
    ),
    "SPARK_STREAMS_METRICS_ADDR": (
        None,
        "address of that metrics port",
        "o metrik portunun adresi",
    ),
    "PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS": (
        None,
        "timeout of each exchange call of a portfolio refresh",
        "portföy yenilemesindeki her borsa çağrısının zaman aşımı",
    ),
    "PORTFOLIO_MAX_AGE_SECONDS": (
        None,
        "a stored portfolio snapshot younger than this is served without a refresh",
        "bundan genç portföy görüntüsü yenilenmeden sunulur",
    ),
    "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS": (
        None,
        "in-process snapshot schedule; `0` leaves it to `manage.py snapshot_portfolio` (cron)",
        "süreç içi görüntü aralığı; `0` ise `manage.py snapshot_portfolio` (cron) yapar",
    ),
    "PORTFOLIO_FX_REFRESH_SECONDS": (
        None,
        "USDTTRY (TRY totals on pages) is read from BTCTurk at most this often per process",
        "USDTTRY (sayfalardaki TL toplamları) BTCTurk'ten süreç başına en fazla bu sıklıkla okunur",
    ),
    "PORTFOLIO_FX_MAX_AGE_SECONDS": (
        None,
        "a USDTTRY rate older than this (by BTCTurk's timestamp) is marked stale on pages",
        "BTCTurk zaman damgasına göre bundan eski USDTTRY kuru sayfalarda eski diye işaretlenir",
    ),
    "SPARK_DEFAULT_MAX_POSITION_USD": (
        None,
        "initial max position (USD) of symbols without their own limit row",
        "kendi limit satırı olmayan semboller için ilk azami pozisyon (USD)",
    ),
    "SPARK_RISK_METRICS_SECONDS": (
        None,
        "refresh period of the risk gauges inside the server",
        "sunucu içindeki risk göstergelerinin yenilenme aralığı",
    ),
    "SPARK_DAILY_LOSS_COUNTS": (
        None,
        "what the daily loss limit counts: `net` (realized PnL + commissions + funding) or "
        "`realized` (realized PnL only); the gate, breaker, status and alert all follow it",
        "günlük zarar limitinin saydığı: `net` (gerçekleşen kâr/zarar + komisyonlar + fonlama) "
        "ya da `realized` (yalnız gerçekleşen kâr/zarar); kapı, devre kesici, durum ve alarm "
        "hep buna uyar",
    ),
    "SPARK_CANARY_DEFAULT_SYMBOL": (None, "symbol of a canary run", "canary koşusunun sembolü"),
    "SPARK_CANARY_DEFAULT_QUANTITY": (
        None,
        "quantity of a canary run (above the exchange minimum, under the max notional)",
        "canary koşusunun miktarı (borsa asgarisinin üstünde, azami nominalin altında)",
    ),
    "SPARK_COPILOT_LLM_URL": (
        "(empty: off)",
        "OpenAI-compatible base URL (Ollama, llama.cpp, hosted) the copilot asks when its rules "
        "understand nothing",
        "copilot'un kuralları hiçbir şey anlamadığında sorduğu OpenAI uyumlu adres (Ollama, "
        "llama.cpp, barındırılan)",
    ),
    "SPARK_COPILOT_LLM_MODEL": (
        None,
        "model name sent to that endpoint",
        "o adrese giden model adı",
    ),
    "SPARK_COPILOT_LLM_API_KEY": (
        "(empty)",
        "bearer key of that endpoint (never logged)",
        "o adresin bearer anahtarı (loglanmaz)",
    ),
    "SPARK_COPILOT_LLM_TIMEOUT_SECONDS": (
        None,
        "after this the copilot asks the user instead",
        "bu süreden sonra copilot kullanıcıya sorar",
    ),
    "SPARK_COPILOT_LLM_SEND_ACCOUNT": (
        None,
        "consent to send position symbols and sizes with the sentence",
        "cümleyle birlikte pozisyon sembollerini ve miktarlarını göndermeye onay",
    ),
    "SPARK_LOG_LEVEL": (
        None,
        "root log level (secrets are redacted)",
        "kök log seviyesi (gizliler maskelenir)",
    ),
    "SPARK_NOTIFIER_EMBEDDED": (
        None,
        "run the notification worker and the Telegram desk inside the web process; `false` "
        "when `manage.py run_notifier` runs",
        "bildirim işçisini ve Telegram masasını web sürecinde çalıştırır; `manage.py "
        "run_notifier` çalışıyorsa `false`",
    ),
    "SPARK_NOTIFIER_METRICS_PORT": (
        None,
        "`run_notifier` serves its own /metrics here when `PROMETHEUS_MULTIPROC_DIR` is not "
        "shared; `0` turns it off",
        "`PROMETHEUS_MULTIPROC_DIR` paylaşılmıyorsa `run_notifier` kendi /metrics'ini burada "
        "sunar; `0` kapatır",
    ),
    "TELEGRAM_BOT_TOKEN": (
        ("empty (desk and Telegram off)", "boş (masa ve Telegram kapalı)"),
        "the bot's token from BotFather (a secret: never logged)",
        "BotFather'ın verdiği bot anahtarı (gizli: loglara yazılmaz)",
    ),
    "TELEGRAM_API_URL": (
        None,
        "Bot API base URL (tests point it at the local stand-in)",
        "Bot API adresi (testler yerel taklide yönlendirir)",
    ),
    "TELEGRAM_POLL_TIMEOUT_SECONDS": (
        None,
        "long-poll length of one `getUpdates` call",
        "bir `getUpdates` çağrısının uzun yoklama süresi",
    ),
    "TELEGRAM_WEBHOOK_URL": (
        ("empty (long polling)", "boş (uzun yoklama)"),
        "webhook mode: the public HTTPS URL of `POST /notifications/telegram/webhook`, given to "
        "Telegram with `setWebhook` at start",
        "webhook kipi: `POST /notifications/telegram/webhook` adresinin herkese açık HTTPS URL'si; "
        "açılışta `setWebhook` ile Telegram'a verilir",
    ),
    "TELEGRAM_WEBHOOK_SECRET": (
        ("empty", "boş"),
        "the `secret_token` Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (a secret; "
        "needed in webhook mode)",
        "Telegram'ın `X-Telegram-Bot-Api-Secret-Token` başlığında gönderdiği `secret_token` "
        "(gizli; webhook kipinde gerekli)",
    ),
    "SPARK_NOTIFY_MAX_ATTEMPTS": (
        None,
        "tries of one delivery before it is given up (`failed`)",
        "bir gönderimin vazgeçilmeden (`failed`) önceki deneme sayısı",
    ),
    "SPARK_NOTIFY_BACKOFF_SECONDS": (
        None,
        "first retry wait; doubles each try, at most one hour",
        "ilk yeniden deneme beklemesi; her denemede iki katına çıkar, en çok bir saat",
    ),
    "SPARK_NOTIFY_LEASE_SECONDS": (
        None,
        "how long a worker holds a claimed delivery; after it another worker takes over",
        "bir işçinin sahiplendiği gönderimi tuttuğu süre; sonra başka işçi devralır",
    ),
    "SPARK_NOTIFY_POLL_SECONDS": (
        None,
        "pause of the worker when nothing is due",
        "gönderilecek bir şey yokken işçinin beklemesi",
    ),
    "SPARK_NOTIFY_SUMMARY_CHECK_SECONDS": (
        None,
        "how often the worker looks for daily summaries whose Istanbul time has come",
        "işçinin, İstanbul saati gelmiş günlük özetlere ne sıklıkla baktığı",
    ),
    "SPARK_NOTIFY_DAILY_SUMMARIES": (
        None,
        "`false`: the worker writes no daily summaries",
        "`false`: işçi günlük özet yazmaz",
    ),
    "SPARK_NOTIFY_STREAMS_DOWN_SECONDS": (
        None,
        "streams down this long become a `streams.down` notification (their return, `streams.up`)",
        "akışlar bu kadar kesik kalınca `streams.down` bildirimi (geri gelince `streams.up`)",
    ),
    "SPARK_NOTIFY_TELEGRAM_PER_SECOND": (
        None,
        "Telegram messages per second (Telegram allows about 30)",
        "saniyede Telegram mesajı (Telegram yaklaşık 30'a izin verir)",
    ),
    "SPARK_NOTIFY_WEBHOOK_PER_SECOND": (
        None,
        "webhook calls per second",
        "saniyede webhook çağrısı",
    ),
    "SPARK_NOTIFY_EMAIL_PER_SECOND": (
        None,
        "emails per second",
        "saniyede e-posta",
    ),
    "SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS": (
        None,
        "timeout of one Telegram or webhook request",
        "bir Telegram ya da webhook isteğinin zaman aşımı",
    ),
    "SPARK_TELEGRAM_LINK_CODE_TTL_SECONDS": (
        None,
        "how long a chat-linking code from the profile page works",
        "profil sayfasındaki sohbet bağlama kodunun geçerlilik süresi",
    ),
    "SPARK_TELEGRAM_BUTTON_TTL_SECONDS": (
        None,
        "how long an Onayla/İptal button of the desk works",
        "masanın Onayla/İptal düğmesinin geçerlilik süresi",
    ),
    "SPARK_ALERTMANAGER_TOKEN": (
        ("empty (receiver off)", "boş (alıcı kapalı)"),
        "bearer token Alertmanager sends to `POST /notifications/alertmanager` (a secret)",
        "Alertmanager'ın `POST /notifications/alertmanager` çağrısında gönderdiği anahtar (gizli)",
    ),
    "SPARK_EMAIL_BACKEND": (
        None,
        "Django email backend (`django.core.mail.backends.smtp.EmailBackend` to send)",
        "Django e-posta arka ucu (göndermek için `django.core.mail.backends.smtp.EmailBackend`)",
    ),
    "SPARK_EMAIL_HOST": (None, "SMTP server", "SMTP sunucusu"),
    "SPARK_EMAIL_PORT": (None, "SMTP port", "SMTP portu"),
    "SPARK_EMAIL_FROM": (
        None,
        "sender address of notification emails",
        "bildirim e-postalarının gönderen adresi",
    ),
}

HEADERS = {
    "en": ("variable", "default", "effect"),
    "tr": ("değişken", "varsayılan", "etkisi"),
}
CONFIRM = {
    "en": {"always": "always", "live": "when `dryRun` is false", "never": "no"},
    "tr": {"always": "her zaman", "live": "`dryRun` false ise", "never": "hayır"},
}
COPILOT_HEADERS = {
    "en": ("intent", "API call", "permission", "confirmation", "what it does", "example"),
    "tr": ("niyet", "API çağrısı", "yetki", "onay", "ne yapar", "örnek"),
}


def settings_env_calls(path: Path = ROOT / "spark_site" / "settings.py") -> list[tuple[str, str]]:
    """(variable, literal default or "") for every env_* call in settings.py, in file order."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ENV_READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            default = ""
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                value = node.args[1].value
                default = str(value).lower() if isinstance(value, bool) else str(value)
            found.setdefault(node.args[0].value, (node.lineno, default))
    return [(name, d) for name, (_, d) in sorted(found.items(), key=lambda kv: kv[1][0])]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def settings_block(lang: str, path: Path = ROOT / "spark_site" / "settings.py") -> str:
    calls = settings_env_calls(path)
    missing = [name for name, _ in calls if name not in SETTINGS]
    if missing:
        raise SystemExit(
            "settings.py reads variables scripts/gen_docs.py does not describe: "
            + ", ".join(missing)
        )
    head = HEADERS[lang]
    out = [f"| {head[0]} | {head[1]} | {head[2]} |", "|---|---|---|"]
    for name, literal in calls:
        shown, en, tr = SETTINGS[name]
        if isinstance(shown, tuple):
            shown = shown[0] if lang == "en" else shown[1]
        if shown is None:
            shown = f"`{literal}`" if literal else ("empty" if lang == "en" else "boş")
        effect = en if lang == "en" else tr
        out.append(f"| `{name}` | {_cell(shown)} | {_cell(effect)} |")
    return "\n".join(out)


def copilot_block(lang: str) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    import django

    django.setup()
    from copilot.parser import command_table

    head = COPILOT_HEADERS[lang]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in command_table():
        summary = row["summary_en"] if lang == "en" else row["summary_tr"]
        example = " · ".join(row["examples"][:2])
        perm = f"`{row['permission']}`" if row["permission"] else "—"
        out.append(
            f"| `{row['intent']}` | `{row['method']} {row['path']}` | {perm} | "
            f"{CONFIRM[lang][row['confirm']]} | {_cell(summary)} | "
            f"{_cell(example) or '—'} |"
        )
    return "\n".join(out)


BLOCKS = {
    "user-guide.md": {"copilot-commands": copilot_block},
    "operations.md": {"settings": settings_block},
}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(
        rf"(<!-- BEGIN GENERATED: {re.escape(name)} -->)\n.*?(<!-- END GENERATED: "
        rf"{re.escape(name)} -->)",
        re.S,
    )
    if not pattern.search(text):
        raise SystemExit(f"block {name!r} is not marked in the document")
    return pattern.sub(lambda m: m.group(1) + "\n" + body + "\n" + m.group(2), text)


def expected() -> dict[Path, str]:
    """Every generated document as it should be now."""
    out: dict[Path, str] = {}
    for lang in LANGS:
        for filename, blocks in BLOCKS.items():
            path = DOCS / lang / filename
            text = path.read_text(encoding="utf-8")
            for name, make in blocks.items():
                text = render(text, name, make(lang))
            out[path] = text
    return out


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    stale = []
    for path, text in expected().items():
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if "--check" not in argv:
                path.write_text(text, encoding="utf-8")
    if "--check" in argv and stale:
        print("stale generated blocks: " + ", ".join(str(p.relative_to(ROOT)) for p in stale))
        print("run: .venv/bin/python scripts/gen_docs.py")
        return 1
    for path in stale:
        print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
