"""Hooks through which the apps above risk lend it what it must not import.

risk never imports futures (the arrows point down), yet the status page shows position use and
filter conflicts. futures registers two callables at start-up (e.g. in its AppConfig.ready()):

    register_position_provider(fn)   fn() -> iterable of Position (current positions, any symbol)
    register_filters_provider(fn)    fn(symbol) -> mapping with "minNotional", "minQty",
                                     "stepSize" (Decimals or strings) or None when unknown

Until one is registered, the status says so and shows the limits only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Position:
    """One symbol's signed position (contracts) and its mark price, if known."""

    symbol: str
    amount: Decimal
    mark_price: Decimal | None = None


PositionProvider = Callable[[], Iterable[Position]]
FiltersProvider = Callable[[str], Mapping | None]

_position_provider: PositionProvider | None = None
_filters_provider: FiltersProvider | None = None


def register_position_provider(fn: PositionProvider | None) -> None:
    """Install (or with None, remove) the callable that lists current positions."""
    global _position_provider
    _position_provider = fn


def register_filters_provider(fn: FiltersProvider | None) -> None:
    """Install (or with None, remove) the callable that returns a symbol's exchange filters."""
    global _filters_provider
    _filters_provider = fn


def positions() -> list[Position] | None:
    """Return current positions, or None when no provider is registered or it failed."""
    if _position_provider is None:
        return None
    try:
        return list(_position_provider())
    except Exception:  # a broken provider must not break the status page or the gate
        logger.exception("risk position provider failed")
        return None


def filters(symbol: str) -> dict[str, Decimal] | None:
    """Return the exchange filters of symbol as Decimals, or None when unknown."""
    if _filters_provider is None:
        return None
    try:
        raw = _filters_provider(symbol)
    except Exception:
        logger.exception("risk filters provider failed for %s", symbol)
        return None
    if not raw:
        return None
    out: dict[str, Decimal] = {}
    for key in ("minNotional", "minQty", "stepSize", "maxQty"):
        if raw.get(key) not in (None, ""):
            out[key] = Decimal(str(raw[key]))
    return out


def has_position_provider() -> bool:
    return _position_provider is not None


def has_filters_provider() -> bool:
    return _filters_provider is not None
