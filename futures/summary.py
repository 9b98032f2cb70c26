"""The figures of a user's daily summary (lent to notifications, which may not import futures)."""

from __future__ import annotations

from datetime import datetime

from futures.models import Fill, Order
from futures.selectors import open_positions
from risk.models import CircuitBreaker, RiskLimits
from risk.selectors import loss_budget
from spark_site.exchange_env import current_environment
from spark_site.money import decimal_text


def daily_summary(user, now: datetime) -> dict:
    """The trading day so far: the user's own orders and fills, the desk's PnL and positions."""
    limits = RiskLimits.load()
    breaker = CircuitBreaker.load()
    day = limits.trading_day(now)
    start, _end = limits.trading_day_bounds(day)
    budget = loss_budget(limits, breaker, day)
    environment = current_environment()
    orders = Order.objects.filter(user=user, environment=environment, created_at__gte=start)
    fills = Fill.objects.filter(
        order__user=user, order__environment=environment, traded_at__gte=start
    )
    return {
        "day": day.isoformat(),
        "from": start.isoformat(),
        "at": now.isoformat(),
        "environment": environment,
        "orders": orders.count(),
        "fills": fills.count(),
        "pnl": decimal_text(budget["pnl"]),
        "budgetRemaining": decimal_text(budget["remaining"]),
        "budgetLimit": decimal_text(limits.daily_loss_limit_usd),
        "breakerOpen": bool(breaker.is_open),
        "positions": [
            {
                "symbol": row.symbol,
                "side": "LONG" if row.position_amt > 0 else "SHORT",
                "qty": decimal_text(abs(row.position_amt)),
                "entry": decimal_text(row.entry_price),
                "upnl": decimal_text(row.unrealized_pnl),
            }
            for row in open_positions(environment).order_by("symbol")
        ],
    }
