"""What futures lends to the apps it may not be imported by: risk's positions and filters, and
the daily summary of notifications (both register callables; neither imports futures)."""

from __future__ import annotations

from futures.selectors import open_positions, risk_filters
from futures.summary import daily_summary
from notifications.summary import register_summary_provider as register_summary
from risk.providers import Position, register_filters_provider, register_position_provider
from spark_site.exchange_env import current_environment


def risk_positions() -> list[Position]:
    """Current positions for the risk status page (risk must not import futures): one per
    symbol and side, so a hedge account's LONG and SHORT are both listed (signed)."""
    return [
        Position(symbol=row.symbol, amount=row.position_amt, mark_price=row.mark_price or None)
        for row in open_positions(current_environment()).order_by("symbol", "position_side")
    ]


def register_providers() -> None:
    """Lend risk and notifications their reads (called from the futures AppConfig.ready())."""
    register_position_provider(risk_positions)
    register_filters_provider(risk_filters)
    register_summary(daily_summary)
