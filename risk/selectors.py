"""Reads of risk state that the gate, the services and the status share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Sum

from risk import providers
from risk.budget import COMMISSION, FUNDING, REALIZED, LossBudget, loss_budget_of
from risk.models import CircuitBreaker, PnLEntry, RiskLimits, SymbolPositionLimit
from risk.money import fmt
from spark_site.money import column_decimal

ZERO = Decimal("0")


def day_sums(day: date) -> dict[str, Decimal]:
    """Return the ledger's sums per kind (realized, commission, funding, ...) of a trading day."""
    rows = (
        PnLEntry.objects.filter(trading_day=day)
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {kind: Decimal(total) for kind, total in rows if total is not None}


def budget_of(limits: RiskLimits, breaker: CircuitBreaker | None, day: date, sums) -> LossBudget:
    """The loss budget of `day` from the ledger's sums, with the configured counting mode."""
    return loss_budget_of(
        day=day,
        sums=sums,
        limit=limits.daily_loss_limit_usd,
        counts=settings.SPARK_DAILY_LOSS_COUNTS,
        acknowledged_day=breaker.acknowledged_day if breaker is not None else None,
        acknowledged_pnl=breaker.acknowledged_pnl if breaker is not None else None,
    )


def loss_budget(limits: RiskLimits, breaker: CircuitBreaker, day: date) -> LossBudget:
    """Return today's PnL by part, the PnL counted against the budget, and what is left of it."""
    return budget_of(limits, breaker, day, day_sums(day))


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
    # A raw read of a MONEY column, as the ORM reads it (one reader with futures' raw reads).
    return column_decimal(value, _MONEY_PLACES)


def _t(model) -> str:
    return model._meta.db_table


def _c(model, name: str, alias: str = "") -> str:
    column = model._meta.get_field(name).column
    return f"{alias}.{column}" if alias else column


_MONEY_PLACES = PnLEntry._meta.get_field("amount").decimal_places
_DAY_SUM = (
    f"(SELECT SUM({_c(PnLEntry, 'amount')}) FROM {_t(PnLEntry)}"  # noqa: S608 - names from _meta, values are parameters
    f" WHERE {_c(PnLEntry, 'trading_day')} = %s AND {_c(PnLEntry, 'kind')} = %s)"
)
# The gate's one read besides the limits row (table and column names from the models' _meta,
# values always as parameters): the symbol's cap, the day's sum of each counted kind, and the
# breaker. Params: limits id, symbol, (day, kind) x 3, the breaker's id.
_GATE_STATE_SQL = (
    f"SELECT (SELECT {_c(SymbolPositionLimit, 'max_position_qty')} FROM"  # noqa: S608 - names from _meta, values are parameters
    f" {_t(SymbolPositionLimit)} WHERE {_c(SymbolPositionLimit, 'limits')} = %s AND"
    f" {_c(SymbolPositionLimit, 'symbol')} = %s), {_DAY_SUM}, {_DAY_SUM}, {_DAY_SUM},"
    f" {_c(CircuitBreaker, 'state', 'b')}, {_c(CircuitBreaker, 'opened_reason', 'b')},"
    f" {_c(CircuitBreaker, 'acknowledged_day', 'b')}, {_c(CircuitBreaker, 'acknowledged_pnl', 'b')}"
    f" FROM (SELECT 1 AS one) x LEFT JOIN {_t(CircuitBreaker)} b"
    f" ON {_c(CircuitBreaker, 'id', 'b')} = %s"
)


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite hands a DATE back as text


def gate_state(limits: RiskLimits, symbol: str, day: date) -> dict:
    """Everything the gate reads besides the limits row, in one round trip.

    The gate runs under the lock every order waits on, so it reads the breaker, the symbol's
    limit and the day's PnL sums in one statement instead of several ORM queries; the budget is
    then computed by the same function as the status and the metric (risk.budget).
    """
    with connection.cursor() as cursor:
        params = [limits.pk, symbol.upper()]
        for kind in (REALIZED, COMMISSION, FUNDING):
            params += [day, kind]
        params.append(CircuitBreaker.SINGLETON_PK)
        cursor.execute(_GATE_STATE_SQL, params)
        cap, realized, commission, funding, state, reason, ack_day, ack_pnl = cursor.fetchone()
    sums = {REALIZED: _dec(realized), COMMISSION: _dec(commission), FUNDING: _dec(funding)}
    breaker = CircuitBreaker(acknowledged_day=_date(ack_day), acknowledged_pnl=_dec(ack_pnl))
    budget = budget_of(limits, breaker, day, sums)
    return {
        "limit": ("qty", _dec(cap))
        if cap is not None
        else ("usd", limits.default_max_position_usd),
        "breaker_state": state or CircuitBreaker.State.CLOSED,
        "breaker_reason": reason or "",
        "day": day,
        "pnl": budget.pnl,
        "counted": budget.counted,
        "remaining": budget.remaining,
        "parts": budget.parts,
        "counts": budget.counts,
    }
