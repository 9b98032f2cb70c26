"""Outbox events from model changes of futures, risk, canary and audit, without editing them.

Each receiver runs inside the save that caused it (post_save runs in the saving transaction),
so the event commits or rolls back with the change. Senders are named lazily ("app.Model"):
this app imports none of those apps' modules.

The low loss budget event is risk's own (risk/alerts.py): it needs risk's budget rule, and risk
may import this app, never the other way.

Left out on purpose: a refusal by the risk gate keeps no Order row; it is taken from its
audit entry (written right after the gate's transaction, in autocommit: a crash between the
two loses that one event).
"""

from __future__ import annotations

from django.db.models.signals import post_save

from notifications.models import Kind
from notifications.services import event_emit


def on_fill(sender, instance, created, **kwargs) -> None:
    if not created or kwargs.get("raw"):
        return
    order = instance.order
    event_emit(
        kind=Kind.FILL,
        dedupe_key=f"fill:{order.pk}:{instance.trade_id}",
        owner=order.user,
        payload={
            "symbol": order.symbol,
            "side": order.side,
            "qty": str(instance.qty),
            "price": str(instance.price),
            "clientOrderId": order.client_order_id,
            "dryRun": bool(order.dry_run or instance.simulated),
            "tradedAt": instance.traded_at.isoformat(),
        },
    )


def on_order(sender, instance, created, **kwargs) -> None:
    if kwargs.get("raw") or instance.status != "REJECTED":
        return
    error = instance.error or {}
    event_emit(
        kind=Kind.ORDER_REJECTED,
        dedupe_key=f"order.rejected:{instance.pk}",
        owner=instance.user,
        payload={
            "symbol": instance.symbol,
            "side": instance.side,
            "clientOrderId": instance.client_order_id,
            "by": "exchange",
            "reason": str(error.get("message") or error.get("code") or "")[:200],
        },
    )


def on_audit(sender, instance, created, **kwargs) -> None:
    """A risk-gate refusal: the audit entry of order.place with the rules that failed."""
    if not created or instance.action != "order.place" or instance.outcome != "rejected":
        return
    rules = (instance.payload or {}).get("rules")
    if not rules:
        return  # exchange refusals come from the Order row
    event_emit(
        kind=Kind.ORDER_REJECTED,
        dedupe_key=f"order.rejected:audit:{instance.pk}",
        owner=instance.actor,
        payload={
            "symbol": instance.target,
            "by": "gate",
            "reason": "; ".join(str(r.get("message") or r.get("rule")) for r in rules)[:200],
        },
    )


def on_breaker(sender, instance, created, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    if instance.state == "open" and instance.opened_at:
        event_emit(
            kind=Kind.BREAKER_OPENED,
            dedupe_key=f"breaker.opened:{instance.opened_at.isoformat()}",
            payload={
                "at": instance.opened_at.isoformat(),
                "reason": instance.opened_reason,
                "by": instance.opened_by,
            },
        )
    elif instance.state == "closed" and instance.closed_at:
        event_emit(
            kind=Kind.BREAKER_CLOSED,
            dedupe_key=f"breaker.closed:{instance.closed_at.isoformat()}",
            payload={
                "at": instance.closed_at.isoformat(),
                "reason": instance.close_reason,
                "by": instance.closed_by,
            },
        )


def on_canary(sender, instance, created, **kwargs) -> None:
    if kwargs.get("raw") or instance.status not in ("CONFIRMED", "REJECTED", "FAILED"):
        return
    event_emit(
        kind=Kind.CANARY_RESULT,
        dedupe_key=f"canary:{instance.pk}:{instance.status}",
        owner=instance.started_by,
        payload={"id": instance.pk, "symbol": instance.symbol, "status": instance.status},
    )


def on_proposal(sender, instance, created, **kwargs) -> None:
    """A parameter change waiting for a second person's approval."""
    if not created or kwargs.get("raw") or instance.status != "PENDING":
        return
    event_emit(
        kind=Kind.PROPOSAL_PENDING,
        dedupe_key=f"proposal:{instance.pk}",
        owner=instance.proposer,
        payload={
            "id": instance.pk,
            "strategy": instance.strategy.name,
            "by": instance.proposer.get_username(),
            "changes": len(instance.diff or []),
        },
    )


def connect() -> None:
    post_save.connect(on_fill, sender="futures.Fill", dispatch_uid="notify_fill")
    post_save.connect(on_order, sender="futures.Order", dispatch_uid="notify_order")
    post_save.connect(on_audit, sender="audit.AuditEntry", dispatch_uid="notify_audit")
    post_save.connect(on_breaker, sender="risk.CircuitBreaker", dispatch_uid="notify_breaker")
    post_save.connect(on_canary, sender="canary.CanaryRun", dispatch_uid="notify_canary")
    post_save.connect(
        on_proposal, sender="strategies.ParamChangeProposal", dispatch_uid="notify_proposal"
    )
