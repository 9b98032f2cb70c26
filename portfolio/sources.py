"""Which exchange accounts are configured, as connectors built from settings at call time."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Protocol

from django.conf import settings

from portfolio.connectors.base import SourceFetch
from portfolio.connectors.binance import SpotClient, futures_source
from portfolio.connectors.btcturk import BTCTurkClient


class Source(Protocol):
    exchange: str

    def fetch(self) -> SourceFetch: ...


def exchange_timeout() -> float:
    """Seconds one exchange may take before it is reported stale (PORTFOLIO_EXCHANGE_TIMEOUT)."""
    return float(getattr(settings, "PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS", 5))


_CLIENTS: dict[tuple, Source] = {}
_LOCK = threading.Lock()


def _pooled(kind: str, base: str, key: str, secret: str, make: Callable[[], Source]) -> Source:
    """One client per (exchange, URL, keys): its session pool and clock offset live on."""
    digest = hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()  # never the secret itself
    with _LOCK:
        client = _CLIENTS.get((kind, base, digest))
        if client is None:
            client = _CLIENTS[(kind, base, digest)] = make()
        return client


def configured_sources() -> list[Source]:
    """A connector per exchange with a base URL and keys (read now: tests override them)."""
    timeout = exchange_timeout()
    out: list[Source] = []
    spot = (
        settings.BINANCE_SPOT_BASE_URL,
        settings.BINANCE_SPOT_API_KEY,
        settings.BINANCE_SPOT_API_SECRET,
    )
    if all(spot[:2]):
        recv = int(getattr(settings, "BINANCE_RECV_WINDOW", 5000))

        def make_spot() -> Source:
            return SpotClient(*spot, recv_window=recv, timeout=timeout)

        out.append(_pooled(f"spot:{timeout}", *spot, make_spot))
    if settings.BINANCE_FUTURES_BASE_URL and settings.BINANCE_API_KEY:
        out.append(futures_source())
    bt = (settings.BTCTURK_BASE_URL, settings.BTCTURK_API_KEY, settings.BTCTURK_API_SECRET)
    if all(bt[:2]):
        out.append(_pooled(f"btcturk:{timeout}", *bt, lambda: BTCTurkClient(*bt, timeout=timeout)))
    return out
