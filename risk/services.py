"""Workflows of the risk app: book PnL, open and close the circuit breaker, report status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.permissions import require
from audit.models import AuditEntry
from audit.services import record
from risk import metrics, providers
from risk.budget import COUNTED_KINDS, LossBudget
from risk.errors import BreakerStateConflict
from risk.gate import lock
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from risk.selectors import filter_conflicts, fmt, loss_budget, symbol_limit
from spark_site.errors import ValidationFailed

REASON_MAX = 300


def _actor_name(actor) -> str:
    if isinstance(actor, str):
        return actor
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return "anonymous"


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            "A reason is required.",
            details={"fields": [{"field": "reason", "message": "required"}]},
        )
    if len(text) > REASON_MAX:
        raise ValidationFailed(
            "The reason is longer than %(max)s characters.",
            params={"max": REASON_MAX},
            details={"fields": [{"field": "reason", "message": f"max {REASON_MAX} characters"}]},
        )
    return text


def _publish(limits, breaker, budget) -> None:
    metrics.CIRCUIT_BREAKER_OPEN.set(1 if breaker.is_open else 0)
    # The PnL the gate counts (net or realized, from an operator's reset): the alert on this
    # gauge and /futures/risk/status read the same figure, so they never disagree.
    metrics.DAILY_PNL_USD.set(float(budget.counted))
    metrics.DAILY_LOSS_LIMIT_USD.set(float(limits.daily_loss_limit_usd))


def pnl_record(
    *,
    source: str,
    source_ref: str,
    symbol: str,
    amount: Decimal,
    actor,
    at: datetime | None = None,
    kind: str = PnLEntry.Kind.REALIZED,
    asset: str = "USDT",
    asset_amount: Decimal | None = None,
    income_type: str = "",
    note: str = "",
) -> tuple[PnLEntry, bool]:
    """Book one movement of the wallet; return (entry, created). Idempotent by source_ref.

    Opens the circuit breaker when the entry is a loss of a kind the daily rule counts that
    brings the day's counted loss to the limit. No permission check here: the stream, the
    income sync and the canary book as 'system'; pnl_record_manual() is the operator's door.
    """
    if source not in PnLEntry.Source.values:
        raise ValueError(f"unknown PnL source {source!r}")
    if kind not in PnLEntry.Kind.values:
        raise ValueError(f"unknown PnL kind {kind!r}")
    amount = Decimal(amount)
    opened_reason = ""
    try:
        with transaction.atomic():
            # Lock the limits row like the gate does, or an order could pass on the PnL from
            # just before this loss, and two losses booked together could both miss the crossing.
            limits = lock()
            existing = PnLEntry.objects.filter(source_ref=source_ref).first()
            if existing is not None:
                return existing, False
            when = at or timezone.now()
            entry = PnLEntry.objects.create(
                symbol=symbol.upper(),
                kind=kind,
                amount=amount,
                asset=asset or "USDT",
                asset_amount=amount if asset_amount is None else Decimal(asset_amount),
                income_type=income_type,
                note=note[:200],
                source=source,
                source_ref=source_ref,
                trading_day=limits.trading_day(when),
                created_at=when,
                created_by=_actor_name(actor),
            )
            breaker = CircuitBreaker.objects.select_for_update().get_or_create(
                pk=CircuitBreaker.SINGLETON_PK
            )[0]
            budget = loss_budget(limits, breaker, limits.trading_day())
            if (
                amount < 0
                and kind in COUNTED_KINDS[budget.counts]
                and entry.trading_day == budget["day"]
                and budget["remaining"] <= 0
                and not breaker.is_open
            ):
                opened_reason = (
                    f"daily {budget.counts} loss {fmt(-budget['counted'])} USD "
                    f"({kind} {fmt(amount)} USD) reached the limit "
                    f"{fmt(limits.daily_loss_limit_usd)} USD"
                )
                breaker.state = CircuitBreaker.State.OPEN
                breaker.opened_at = timezone.now()
                breaker.opened_reason = opened_reason
                breaker.opened_by = "system"
                breaker.save()
    except IntegrityError:
        # Another process booked the same reference between our read and insert.
        return PnLEntry.objects.get(source_ref=source_ref), False
    record(
        actor=actor,
        action="risk.pnl.record",
        target=entry.symbol,
        payload={"source": source, "kind": kind, "sourceRef": source_ref, "amount": fmt(amount)},
    )
    if opened_reason:
        record(
            actor="system",
            action="risk.breaker.open",
            target="circuit_breaker",
            payload={"reason": opened_reason, "trigger": source_ref},
        )
    _publish(limits, breaker, budget)
    return entry, True


def pnl_record_manual(*, user, symbol: str, amount, reference: str) -> tuple[PnLEntry, bool]:
    """Book a manual PnL entry for an operator (risk.record_pnl)."""
    require(user, "risk.record_pnl", action="risk.pnl.record", target=symbol)
    symbol = (symbol or "").strip().upper()
    reference = (reference or "").strip()
    errors = []
    if not symbol:
        errors.append({"field": "symbol", "message": "required"})
    if not reference:
        errors.append({"field": "reference", "message": "required"})
    try:
        value = Decimal(str(amount))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append({"field": "amount", "message": "not a decimal number"})
        value = Decimal(0)
    if errors:
        raise ValidationFailed("Invalid PnL entry.", details={"fields": errors})
    return pnl_record(
        source=PnLEntry.Source.MANUAL,
        source_ref=f"manual:{reference}",
        symbol=symbol,
        amount=value,
        actor=user,
    )


def breaker_open(*, actor, reason: str) -> CircuitBreaker:
    """Open the circuit breaker by hand (operator) or as 'system'; only shrinking orders pass."""
    if not isinstance(actor, str):
        require(actor, "risk.open_circuit_breaker", action="risk.breaker.open")
    reason = _clean_reason(reason)
    with transaction.atomic():
        limits = lock()
        breaker = CircuitBreaker.objects.select_for_update().get_or_create(
            pk=CircuitBreaker.SINGLETON_PK
        )[0]
        already = breaker.is_open
        if not already:
            breaker.state = CircuitBreaker.State.OPEN
            breaker.opened_at = timezone.now()
            breaker.opened_reason = reason
            breaker.opened_by = _actor_name(actor)
            breaker.save()
        budget = loss_budget(limits, breaker, limits.trading_day())
    if already:
        record(
            actor=actor,
            action="risk.breaker.open",
            target="circuit_breaker",
            payload={"reason": reason, "state": "open"},
            outcome=AuditEntry.Outcome.REJECTED,
        )
        raise BreakerStateConflict(
            "The circuit breaker is already open.", details={"breaker": breaker.as_dict()}
        )
    payload = {"reason": reason}
    record(actor=actor, action="risk.breaker.open", target="circuit_breaker", payload=payload)
    _publish(limits, breaker, budget)
    return breaker


def breaker_close(*, actor, reason: str) -> CircuitBreaker:
    """Close the circuit breaker (operator only, reason required); trading resumes.

    If today's loss budget is spent, the loss at this moment is acknowledged: the rest of the
    trading day gets a fresh budget, and a further loss of the full limit opens it again.
    """
    require(actor, "risk.close_circuit_breaker", action="risk.breaker.close")
    reason = _clean_reason(reason)
    with transaction.atomic():
        limits = lock()
        breaker = CircuitBreaker.objects.select_for_update().get_or_create(
            pk=CircuitBreaker.SINGLETON_PK
        )[0]
        was = breaker.as_dict()
        already = not breaker.is_open
        budget = loss_budget(limits, breaker, limits.trading_day())
        if not already:
            breaker.state = CircuitBreaker.State.CLOSED
            breaker.closed_at = timezone.now()
            breaker.closed_by = _actor_name(actor)
            breaker.close_reason = reason
            if budget["remaining"] <= 0:
                breaker.acknowledged_day = budget["day"]
                breaker.acknowledged_pnl = budget["pnl"]
            breaker.save()
            budget = loss_budget(limits, breaker, limits.trading_day())
    if already:
        record(
            actor=actor,
            action="risk.breaker.close",
            target="circuit_breaker",
            payload={"reason": reason, "state": "closed"},
            outcome=AuditEntry.Outcome.REJECTED,
        )
        raise BreakerStateConflict(
            "The circuit breaker is already closed.", details={"breaker": breaker.as_dict()}
        )
    record(
        actor=actor,
        action="risk.breaker.close",
        target="circuit_breaker",
        payload={
            "reason": reason,
            "openedAt": was["openedAt"],
            "openedReason": was["openedReason"],
            "todayPnl": fmt(budget["pnl"]),
        },
    )
    _publish(limits, breaker, budget)
    return breaker


def refresh_metrics() -> None:
    """Set the risk gauges from the database (breaker, today's PnL, the loss limit)."""
    limits = RiskLimits.load()
    breaker = CircuitBreaker.load()
    _publish(limits, breaker, loss_budget(limits, breaker, limits.trading_day()))


async def metrics_loop() -> None:
    """Refresh the risk gauges periodically inside the server process."""
    import asyncio
    import logging

    from asgiref.sync import sync_to_async

    seconds = float(getattr(settings, "SPARK_RISK_METRICS_SECONDS", 15))
    while True:
        try:
            await sync_to_async(refresh_metrics, thread_sensitive=True)()
        except Exception:  # the database may be briefly unavailable; try again next round
            logging.getLogger(__name__).exception("risk metrics refresh failed")
        await asyncio.sleep(seconds)


def _status_symbols(limits, positions) -> list[str]:
    symbols = set(limits.symbol_limits.values_list("symbol", flat=True))
    symbols.update(getattr(settings, "SPARK_STREAM_SYMBOLS", []) or [])
    symbols.update(p.symbol.upper() for p in positions or [])
    return sorted(symbols)


@dataclass(frozen=True)
class PositionUse:
    """How much of its limit one position uses: contracts for a symbol with its own limit,
    else USD at the mark (value None without a mark)."""

    symbol: str
    amount: Decimal  # signed
    mark_price: Decimal | None
    limit: Decimal
    unit: str  # "contracts" or "USD"
    value: Decimal | None

    @property
    def use_pct(self) -> Decimal | None:
        if self.value is None or self.limit <= 0:
            return None
        return (self.value / self.limit * 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class RiskStatus:
    """The risk view: limits, today's budget, the breaker, position use and filter conflicts
    (risk/schemas.py risk_status_out shapes it for the API and the live `risk` topic)."""

    limits: RiskLimits
    breaker: CircuitBreaker
    day: date
    starts_at: datetime
    ends_at: datetime
    budget: LossBudget
    positions: list[PositionUse] | None  # None when no position provider answers
    filters_available: bool
    conflicts: list[dict]  # a limit the exchange's filters make unreachable


def risk_status() -> RiskStatus:
    """Return limits, today's PnL and budget, the breaker, position use and filter conflicts."""
    # A read: no lock and no transaction (on SQLite every transaction takes the write lock),
    # or every status poll would queue behind, and block, the orders.
    limits = RiskLimits.load()
    breaker = CircuitBreaker.load()
    day = limits.trading_day()
    budget = loss_budget(limits, breaker, day)
    start, end = limits.trading_day_bounds(day)
    positions = providers.positions()
    use = []
    for position in positions or []:
        symbol = position.symbol.upper()
        kind, cap = symbol_limit(limits, symbol)
        amount = abs(Decimal(position.amount))
        mark = Decimal(position.mark_price) if position.mark_price else None
        use.append(
            PositionUse(
                symbol=symbol,
                amount=Decimal(position.amount),
                mark_price=mark,
                limit=cap,
                unit="contracts" if kind == "qty" else "USD",
                value=amount if kind == "qty" else (amount * mark if mark else None),
            )
        )
    conflicts = []
    for symbol in _status_symbols(limits, positions):
        conflicts.extend(filter_conflicts(limits, symbol))
    _publish(limits, breaker, budget)
    return RiskStatus(
        limits=limits,
        breaker=breaker,
        day=day,
        starts_at=start,
        ends_at=end,
        budget=budget,
        positions=use if positions is not None else None,
        filters_available=providers.has_filters_provider(),
        conflicts=conflicts,
    )
