"""Limits that make a symbol untradable, said in the page's language with the fix in one sentence.

With the seed's defaults the max notional per order (100 USD) is not above Binance's minimum
order notional for BTCUSDT (100 USD), so no BTCUSDT order can pass both: the defaults stay, and the
dashboard, the limits page and the order preview say so instead of failing each order.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from risk.models import RiskLimits
from risk.selectors import filter_conflicts


def conflict_symbols(limits: RiskLimits) -> list[str]:
    """The symbols worth checking: streamed ones and those with their own position limit."""
    symbols = set(settings.SPARK_STREAM_SYMBOLS or [])
    symbols.update(limits.symbol_limits.values_list("symbol", flat=True))
    return sorted(symbols)


def explain(conflict: dict) -> str:
    """One conflict as a sentence a trader can act on (what blocks, and the fix)."""
    values = {
        "symbol": conflict["symbol"],
        "filter": conflict["filterValue"],
        "limit": conflict["limitValue"],
    }
    if conflict["limit"] == "max_notional_usd":
        return (
            _(
                "%(symbol)s cannot be traded: Binance's minimum order value (%(filter)s USD) is "
                "not below your max notional per order (%(limit)s USD). Fix: an operator raises "
                "the max notional above %(filter)s USD on the Limits page."
            )
            % values
        )
    return (
        _(
            "%(symbol)s cannot be traded: Binance's minimum quantity (%(filter)s) is above your "
            "max position (%(limit)s). Fix: an operator raises the %(symbol)s position limit "
            "in admin."
        )
        % values
    )


def limit_conflicts(limits: RiskLimits | None = None) -> list[dict]:
    """Every conflict of the current limits, each with its sentence under "text"."""
    limits = limits or RiskLimits.load()
    found = []
    for symbol in conflict_symbols(limits):
        for conflict in filter_conflicts(limits, symbol):
            found.append({**conflict, "text": explain(conflict)})
    return found
