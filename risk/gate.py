"""The risk gate: the one door every order passes, dry-run included.

Usage from the order service (one transaction per order):

    with transaction.atomic():
        gate.lock()                       # first: serializes every order and PnL booking
        intent = OrderIntent(..., position_amt=..., open_same_side_qty=...)  # read AFTER lock()
        decision = gate.evaluate(intent)
        if not decision.allowed:
            ... store the refusal, raise RiskRejected(decision) after the transaction

The rules (each breached rule is named with its limit and the value that breached it):

- circuit_breaker: while the breaker is open, only reduce-only orders that shrink a position
  (side opposite to the position, quantity <= |position|) pass.
- max_notional: quantity x the worse of limit price and mark (the mark alone for a market
  order) must not exceed max_notional_usd: a BUY limit above the mark, or a SELL limit below
  it, fills at about the mark, so valuing it at its limit price let it through under-valued.
  Position-shrinking reduce-only orders are exempt: a limit must never trap exposure that is
  already there.
- max_position: the resulting position, current + this order + open orders of the same side,
  must not exceed the symbol's limit (contracts for symbols with their own row, else USD of
  position value at the mark) -- checked only when the order grows |position|, so an order that
  shrinks an over-limit position (after a limit was lowered) still passes.
- hedge mode (position_side LONG or SHORT): each side is a position of its own. An order OPENS
  its side (BUY LONG, SELL SHORT): max_position holds for that side (its position + this order
  + its open opening orders) AND net (long + short + this order + the side's open opening
  orders, signed), each checked when the order grows it. An order CLOSES its side (SELL LONG,
  BUY SHORT): the caller passes it as reduce_only with the side's position, so a close of at
  most the side's amount is position-shrinking (breaker, daily loss and max_notional exempt);
  a close never grows a side (the exchange refuses one past it), so max_position skips it.
- daily_loss: our worst-case rule. The day's loss (net: realized PnL + commissions + funding,
  or realized only with SPARK_DAILY_LOSS_COUNTS=realized; risk.budget) is what the breaker
  watches; the gate adds that once the day's remaining loss budget (limit + today's counted
  PnL) is <= 0, every order that is not a position-shrinking reduce-only order is rejected,
  even if the breaker has not opened yet
  (a limit lowered below today's loss, or a loss booked by another process a moment ago). We do
  not estimate an order's own potential loss against the budget: with the seed's defaults (max
  notional 100, loss limit 50) any such estimate larger than half the notional would silently
  halve the max notional. After an operator closes the breaker, the loss accepted at that moment
  stops counting (see budget.loss_budget_of), so trading resumes with a fresh budget.
- price: a market order without a positive mark price cannot be valued and is rejected (fail
  closed).

Every limit is inclusive: a value equal to its limit passes, anything above it is rejected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import connection

from risk import metrics
from risk.models import CircuitBreaker, RiskLimits
from risk.selectors import ZERO, fmt, gate_state

BUY, SELL = "BUY", "SELL"


@dataclass(frozen=True)
class OrderIntent:
    """What the gate needs to know about one order and the state around it."""

    symbol: str
    side: str  # "BUY" / "SELL"
    quantity: Decimal
    price: Decimal | None  # limit price, None for a market order
    mark_price: Decimal
    reduce_only: bool
    position_amt: Decimal  # current signed position of the symbol
    open_same_side_qty: Decimal  # open + pending orders of the same side and symbol
    dry_run: bool
    # BOTH (one-way) or LONG / SHORT (hedge mode: position_amt is that side's position).
    position_side: str = "BOTH"
    # Hedge mode, an opening order: long + short (signed) before this order, for the net check.
    net_position_amt: Decimal | None = None


@dataclass(frozen=True)
class Decision:
    """The gate's answer: allowed, or every breached rule with its limit and value."""

    allowed: bool
    rules: list[dict]
    # Exchange filters that conflict with the limits for this symbol (RiskRejected fills them in
    # outside the locked transaction; empty from evaluate()).
    conflicts: list[dict] = field(default_factory=list)
    # The figures the decision was made on (notional, resulting position, budget, breaker).
    facts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def lock() -> RiskLimits:
    """Lock and return the limits row; call first in the order's transaction.

    Lock the limits row, or two orders can both read the same open orders and PnL and both pass
    the last room under a limit. On PostgreSQL this is a row lock held to commit; on SQLite the
    IMMEDIATE transaction already holds the database's write lock.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("risk.gate must run inside transaction.atomic()")
    locked = RiskLimits.objects.select_for_update()
    try:
        return locked.get(pk=RiskLimits.SINGLETON_PK)
    except RiskLimits.DoesNotExist:  # first use: create the row with the seed's defaults
        RiskLimits.load()
        return locked.get(pk=RiskLimits.SINGLETON_PK)


def _rule(rule: str, limit, value, message: str, unit: str = "") -> dict:
    out = {
        "rule": rule,
        "limit": limit if isinstance(limit, str) else fmt(limit),
        "value": value if isinstance(value, str) else fmt(value),
        "message": message,
    }
    if unit:
        out["unit"] = unit
    return out


def evaluate(intent: OrderIntent, *, limits: RiskLimits | None = None) -> Decision:
    """Return the decision for intent.

    Must run inside transaction.atomic(): locks the limits row (select_for_update), reads
    today's PnL and the breaker. Read the position and open orders after lock() or this call.
    A caller that already called lock() passes its row as `limits`, saving a second lock query.
    """
    if limits is None:
        limits = lock()
    symbol = intent.symbol.upper()
    state = gate_state(limits, symbol, limits.trading_day())
    breaker_open = state["breaker_state"] == CircuitBreaker.State.OPEN
    side = intent.side.upper()
    if side not in (BUY, SELL):
        raise ValueError(f"side must be BUY or SELL, got {intent.side!r}")
    sign = Decimal(1) if side == BUY else Decimal(-1)
    quantity = Decimal(intent.quantity)
    position = Decimal(intent.position_amt)
    open_qty = Decimal(intent.open_same_side_qty or ZERO)
    mark = Decimal(intent.mark_price or ZERO)
    price = Decimal(intent.price) if intent.price else mark

    shrinking = intent.reduce_only and position * sign < 0 and ZERO < quantity <= abs(position)
    hedge = intent.position_side in ("LONG", "SHORT")
    opening = hedge and (side == BUY) == (intent.position_side == "LONG")
    rules: list[dict] = []

    if breaker_open and not shrinking:
        rules.append(
            _rule(
                "circuit_breaker",
                "closed",
                "open",
                "The circuit breaker is open"
                + (f" ({state['breaker_reason']})" if state["breaker_reason"] else "")
                + ": only reduce-only orders that shrink a position are accepted.",
            )
        )

    # The most the order can be worth when it fills: a BUY never pays above its limit (a resting
    # buy below the mark fills at its limit), a SELL below the mark fills at about the mark.
    notional = quantity * (price if side == BUY else max(price, mark))
    if price <= 0:
        rules.append(
            _rule(
                "price",
                "> 0",
                price,
                f"{symbol}: no positive limit or mark price to value the order with.",
                "USD",
            )
        )
    elif not shrinking and notional > limits.max_notional_usd:
        rules.append(
            _rule(
                "max_notional",
                limits.max_notional_usd,
                notional,
                f"Order notional {fmt(notional)} USD is above the max notional "
                f"{fmt(limits.max_notional_usd)} USD.",
                "USD",
            )
        )

    resulting = position + sign * (quantity + open_qty)
    # A hedge close never grows its side: the exchange refuses one past the side's amount.
    grows = abs(resulting) > abs(position) and (opening or not hedge)
    kind, cap = state["limit"]

    def value_of(amount: Decimal) -> Decimal:
        return abs(amount) if kind == "qty" else abs(amount) * (mark if mark > 0 else price)

    unit = symbol if kind == "qty" else "USD"
    position_value = value_of(resulting)
    where = f"{symbol} {intent.position_side}" if hedge else symbol
    if grows and position_value > cap:
        rules.append(
            _rule(
                "max_position",
                cap,
                position_value,
                f"{where}: resulting position {fmt(position_value)} "
                f"{'contracts' if kind == 'qty' else 'USD'} (current {fmt(position)}, this order "
                f"{fmt(quantity)}, open same side {fmt(open_qty)}) is above the max position "
                f"{fmt(cap)}.",
                unit,
            )
        )
    net_after = None
    if opening and intent.net_position_amt is not None:
        net_before = Decimal(intent.net_position_amt)
        net_after = net_before + sign * (quantity + open_qty)
        net_value = value_of(net_after)
        if abs(net_after) > abs(net_before) and net_value > cap:
            rules.append(
                _rule(
                    "max_position",
                    cap,
                    net_value,
                    f"{symbol}: resulting net position (long + short) {fmt(net_value)} "
                    f"{'contracts' if kind == 'qty' else 'USD'} (net now {fmt(net_before)}, "
                    f"this order {fmt(quantity)}, open same side {fmt(open_qty)}) is above the "
                    f"max position {fmt(cap)}.",
                    unit,
                )
            )

    budget = state
    if not shrinking and budget["remaining"] <= 0:
        loss = -budget["counted"]
        rules.append(
            _rule(
                "daily_loss",
                limits.daily_loss_limit_usd,
                loss,
                f"Today's {budget['counts']} loss {fmt(loss)} USD has reached the daily loss limit "
                f"{fmt(limits.daily_loss_limit_usd)} USD: only position-shrinking reduce-only "
                "orders are accepted until the day rolls over or an operator acts.",
                "USD",
            )
        )

    allowed = not rules
    facts = {
        "symbol": symbol,
        "side": side,
        "notional": fmt(notional),
        "positionSide": intent.position_side,
        "resultingPosition": fmt(resulting),
        "resultingNetPosition": fmt(net_after) if net_after is not None else None,
        "positionLimit": {"value": fmt(cap), "unit": "contracts" if kind == "qty" else "USD"},
        "reducing": shrinking,
        "tradingDay": budget["day"].isoformat(),
        "todayPnl": fmt(budget["pnl"]),
        "remainingLossBudget": fmt(budget["remaining"]),
        "breaker": state["breaker_state"],
        "dryRun": bool(intent.dry_run),
    }
    metrics.DECISIONS.labels(outcome="allowed" if allowed else "rejected").inc()
    # Filter conflicts are not looked up here: that may ask the exchange, and this runs under
    # the lock every order waits on. RiskRejected adds them, after the transaction.
    return Decision(allowed=allowed, rules=rules, facts=facts)
