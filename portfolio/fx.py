"""USD → TRY for pages: USDTTRY from BTCTurk's public ticker, cached, with its time and staleness.

A Turkish trader reads totals in TL. The rate is BTCTurk's last USDT/TRY trade (USDT stands in
for USD, as the portfolio already values USDT at 1 USD), read at most every
PORTFOLIO_FX_REFRESH_SECONDS per process. A quote older than PORTFOLIO_FX_MAX_AGE_SECONDS (by
BTCTurk's own timestamp), or none at all when BTCTurk cannot be read, is marked stale or
unavailable: pages then say so instead of showing an old rate as current. Decimal only.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from portfolio.connectors.base import SourceError, to_decimal
from portfolio.connectors.btcturk import BTCTurkClient

logger = logging.getLogger(__name__)

PAIR = "USDTTRY"
CENT = Decimal("0.01")

OK, STALE, UNAVAILABLE = "ok", "stale", "unavailable"


@dataclass(frozen=True)
class Quote:
    """One USDTTRY rate and when BTCTurk priced it; rate None when none could be read."""

    rate: Decimal | None
    at: datetime | None  # BTCTurk's timestamp of the ticker
    fetched_at: datetime | None  # when Spark read it
    error: str = ""

    def age_seconds(self, now: datetime | None = None) -> float | None:
        if self.at is None:
            return None
        return ((now or timezone.now()) - self.at).total_seconds()

    def status(self, now: datetime | None = None) -> str:
        """ok, stale (older than the allowed age, or BTCTurk is failing now) or unavailable."""
        if self.rate is None:
            return UNAVAILABLE
        age = self.age_seconds(now)
        if self.error or age is None or age > settings.PORTFOLIO_FX_MAX_AGE_SECONDS:
            return STALE
        return OK

    def to_try(self, usd: Decimal | None) -> Decimal | None:
        """usd in TRY, to the kuruş; None when there is no rate or no amount."""
        if self.rate is None or usd is None:
            return None
        return (Decimal(usd) * self.rate).quantize(CENT)

    def as_dict(self, now: datetime | None = None) -> dict:
        age = self.age_seconds(now)
        return {
            "pair": PAIR,
            "source": "btcturk",
            "rate": None if self.rate is None else format(self.rate, "f"),
            "at": self.at.isoformat() if self.at else None,
            "ageSeconds": None if age is None else round(age, 3),
            "maxAgeSeconds": settings.PORTFOLIO_FX_MAX_AGE_SECONDS,
            "status": self.status(now),
            "stale": self.status(now) != OK,
            "error": self.error or None,
        }


class _Cache:
    """The last good quote and when BTCTurk was last asked (per process, thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.good: Quote | None = None
        self.last: Quote | None = None
        self.asked_at = 0.0
        self.url = ""


_CACHE = _Cache()


def clear_cache() -> None:
    """Forget every quote (tests; a changed BTCTurk URL)."""
    with _CACHE.lock:
        _CACHE.good = _CACHE.last = None
        _CACHE.asked_at = 0.0


def _read() -> Quote:
    client = BTCTurkClient(
        settings.BTCTURK_BASE_URL, "", "", timeout=settings.PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS
    )
    rows = client.ticker(PAIR)
    row = next((r for r in rows if str(r.get("pair", "")).upper() == PAIR), None)
    if row is None:
        raise SourceError("btcturk", "NO_PAIR", f"no {PAIR} ticker in the answer")
    try:
        rate = to_decimal(row["last"])
        stamp = int(row["timestamp"])
    except (KeyError, InvalidOperation, TypeError, ValueError) as exc:
        raise SourceError("btcturk", "BAD_PAYLOAD", f"{PAIR} ticker {row!r}") from exc
    if rate <= 0:
        raise SourceError("btcturk", "BAD_PAYLOAD", f"{PAIR} rate {rate} is not positive")
    at = datetime.fromtimestamp(stamp // 1000, tz=UTC) + timedelta(milliseconds=stamp % 1000)
    return Quote(rate, at, timezone.now())


def usdttry(*, refresh: bool = False) -> Quote:
    """The current USDTTRY quote: cached for PORTFOLIO_FX_REFRESH_SECONDS, else read now.

    When BTCTurk fails, the last good rate is returned with the error (so stale), or an
    unavailable quote when there never was one.
    """
    with _CACHE.lock:
        if _CACHE.url != settings.BTCTURK_BASE_URL:  # another BTCTurk: its quotes only
            _CACHE.good = _CACHE.last = None
            _CACHE.asked_at = 0.0
            _CACHE.url = settings.BTCTURK_BASE_URL
        fresh = time.monotonic() - _CACHE.asked_at < settings.PORTFOLIO_FX_REFRESH_SECONDS
        if _CACHE.last is not None and fresh and not refresh:
            return _CACHE.last
        try:
            quote = _read()
            _CACHE.good = quote
        except SourceError as exc:
            logger.warning("USDTTRY from BTCTurk unavailable: %s %s", exc.code, exc.message)
            error = f"{exc.code} {exc.message}"
            good = _CACHE.good
            quote = (
                Quote(good.rate, good.at, good.fetched_at, error)
                if good is not None
                else Quote(None, None, None, error)
            )
        _CACHE.last = quote
        _CACHE.asked_at = time.monotonic()
        return quote
