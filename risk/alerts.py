"""The risk events sent to the notification outbox (risk may import notifications, never back)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models.signals import post_save

from notifications.models import Kind
from notifications.services import event_emit
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from risk.selectors import loss_budget

LOW_BUDGET_SHARE = Decimal("0.2")


def on_pnl(sender, instance, created, **kwargs) -> None:
    """Once a trading day (per breaker acknowledgement), when the loss budget drops under 20 %.

    Runs inside the save (post_save), so the event commits or rolls back with the PnL entry.
    """
    if not created or kwargs.get("raw") or instance.amount >= 0:
        return
    limits = RiskLimits.load()
    breaker = CircuitBreaker.load()
    budget = loss_budget(limits, breaker, instance.trading_day)
    limit = limits.daily_loss_limit_usd
    if limit <= 0 or budget["remaining"] >= limit * LOW_BUDGET_SHARE:
        return
    ack = breaker.acknowledged_pnl if breaker.acknowledged_day == instance.trading_day else 0
    event_emit(
        kind=Kind.LOSS_BUDGET_LOW,
        dedupe_key=f"loss_budget.low:{instance.trading_day}:{ack}",
        payload={"remaining": str(max(budget["remaining"], 0)), "limit": str(limit)},
    )


def connect() -> None:
    post_save.connect(on_pnl, sender=PnLEntry, dispatch_uid="notify_pnl")
