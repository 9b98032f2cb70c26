"""Reads of risk state that the gate, the services and the status share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from risk import providers
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from risk.money import fmt

ZERO = Decimal("0")


def day_pnl(day: date) -> Decimal:
    """Return the sum of realized PnL booked on a trading day."""
    total = PnLEntry.objects.filter(trading_day=day).aggregate(total=Sum("amount"))["total"]
    return Decimal(total) if total is not None else ZERO


def budget_pnl(day_total: Decimal, breaker: CircuitBreaker, day: date) -> Decimal:
    """Return the PnL that counts against today's loss budget.

    When an operator closed the breaker with the day's budget spent, the loss accepted at that
    moment no longer counts: the rest of the day gets a fresh budget measured from there.
    """
    if breaker.acknowledged_day == day:
        return day_total - breaker.acknowledged_pnl
    return day_total


def loss_budget(limits: RiskLimits, breaker: CircuitBreaker, day: date) -> dict:
    """Return today's PnL, the PnL counted against the budget, and what is left of it."""
    total = day_pnl(day)
    counted = budget_pnl(total, breaker, day)
    return {
        "day": day,
        "pnl": total,
        "counted": counted,
        "remaining": limits.daily_loss_limit_usd + counted,
    }


def symbol_limit(limits: RiskLimits, symbol: str) -> tuple[str, Decimal]:
    """Return ("qty", contracts) for a symbol with its own row, else ("usd", default value)."""
    row = limits.symbol_limits.filter(symbol=symbol.upper()).first()
    if row is not None:
        return "qty", row.max_position_qty
    return "usd", limits.default_max_position_usd


def filter_conflicts(limits: RiskLimits, symbol: str) -> list[dict]:
    """Name exchange filters of symbol that the limits make impossible or nearly so.

    An order must be at least the exchange's MIN_NOTIONAL and at most max_notional_usd; when the
    first reaches the second, only an order of exactly that notional could pass, which a
    step-sized quantity at a moving mark price practically never hits.
    """
    found = providers.filters(symbol)
    if not found:
        return []
    conflicts = []
    min_notional = found.get("minNotional")
    if min_notional is not None and min_notional >= limits.max_notional_usd:
        conflicts.append(
            {
                "symbol": symbol,
                "limit": "max_notional_usd",
                "limitValue": fmt(limits.max_notional_usd),
                "filter": "MIN_NOTIONAL",
                "filterValue": fmt(min_notional),
                "message": (
                    f"{symbol}: the exchange's minimum order notional {fmt(min_notional)} USD is "
                    f"not below the max notional limit {fmt(limits.max_notional_usd)} USD, so "
                    "practically no order of this symbol can pass both."
                ),
            }
        )
    kind, cap = symbol_limit(limits, symbol)
    min_qty = found.get("minQty")
    if kind == "qty" and min_qty is not None and min_qty > cap:
        conflicts.append(
            {
                "symbol": symbol,
                "limit": "max_position_qty",
                "limitValue": fmt(cap),
                "filter": "LOT_SIZE.minQty",
                "filterValue": fmt(min_qty),
                "message": (
                    f"{symbol}: the exchange's minimum quantity {fmt(min_qty)} is above the "
                    f"max position {fmt(cap)}."
                ),
            }
        )
    return conflicts


def _dec(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    # SQLite hands NUMERIC back as int/float/str; 8 places is the columns' precision.
    return Decimal(str(value)).quantize(Decimal("0.00000001"))


# The tables of this app's models (risk_<model>), values always as parameters.
_GATE_STATE_SQL = (
    "SELECT (SELECT max_position_qty FROM risk_symbolpositionlimit"
    " WHERE limits_id = %s AND symbol = %s),"
    " (SELECT SUM(amount) FROM risk_pnlentry WHERE trading_day = %s),"
    " b.state, b.opened_reason, b.acknowledged_day, b.acknowledged_pnl"
    " FROM (SELECT 1 AS one) x LEFT JOIN risk_circuitbreaker b ON b.id = %s"
)


def gate_state(limits: RiskLimits, symbol: str, day: date) -> dict:
    """Everything the gate reads besides the limits row, in one round trip.

    The gate runs under the lock every order waits on, so it reads the breaker, the symbol's
    limit and the day's PnL sum in one statement instead of three ORM queries.
    """
    with connection.cursor() as cursor:
        params = [limits.pk, symbol.upper(), day, CircuitBreaker.SINGLETON_PK]
        cursor.execute(_GATE_STATE_SQL, params)
        cap, total, state, reason, ack_day, ack_pnl = cursor.fetchone()
    total = _dec(total) or ZERO
    counted = total
    if ack_day is not None and str(ack_day)[:10] == day.isoformat():
        counted = total - (_dec(ack_pnl) or ZERO)
    return {
        "limit": ("qty", _dec(cap))
        if cap is not None
        else ("usd", limits.default_max_position_usd),
        "breaker_state": state or CircuitBreaker.State.CLOSED,
        "breaker_reason": reason or "",
        "day": day,
        "pnl": total,
        "counted": counted,
        "remaining": limits.daily_loss_limit_usd + counted,
    }
