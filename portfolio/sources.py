"""Which exchange accounts are configured, as connectors built from settings at call time."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

from portfolio.connectors.base import SourceFetch


class Source(Protocol):
    exchange: str

    def fetch(self) -> SourceFetch: ...


def exchange_timeout() -> float:
    """Seconds one exchange may take before it is reported stale (PORTFOLIO_EXCHANGE_TIMEOUT)."""
    return float(getattr(settings, "PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS", 5))


def configured_sources() -> list[Source]:
    """A connector per exchange with a base URL and keys (read now: tests override them)."""
    from portfolio.connectors.binance import SpotClient, futures_source
    from portfolio.connectors.btcturk import BTCTurkClient

    timeout = exchange_timeout()
    out: list[Source] = []
    if settings.BINANCE_SPOT_BASE_URL and settings.BINANCE_SPOT_API_KEY:
        out.append(
            SpotClient(
                settings.BINANCE_SPOT_BASE_URL,
                settings.BINANCE_SPOT_API_KEY,
                settings.BINANCE_SPOT_API_SECRET,
                timeout=timeout,
            )
        )
    if settings.BINANCE_FUTURES_BASE_URL and settings.BINANCE_API_KEY:
        out.append(futures_source(timeout=timeout))
    if settings.BTCTURK_BASE_URL and settings.BTCTURK_API_KEY:
        out.append(
            BTCTurkClient(
                settings.BTCTURK_BASE_URL,
                settings.BTCTURK_API_KEY,
                settings.BTCTURK_API_SECRET,
                timeout=timeout,
            )
        )
    return out
