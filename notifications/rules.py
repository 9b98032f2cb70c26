"""Who may see which event: the roles decide, the preferences only narrow it down."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.permissions import ACT_FOR_OTHERS
from notifications.models import Event, Kind

VIEW = "accounts.view_platform"
# Alerts are operational: they go to those who may act on them (open/close the breaker).
OPERATE = "risk.open_circuit_breaker"

# kind -> (permission needed, only the owner unless act_for_others)
RULES: dict[str, tuple[str, bool]] = {
    Kind.FILL: (VIEW, True),
    Kind.ORDER_REJECTED: (VIEW, True),
    Kind.BREAKER_OPENED: (VIEW, False),
    Kind.BREAKER_CLOSED: (VIEW, False),
    Kind.LOSS_BUDGET_LOW: (VIEW, False),
    Kind.CANARY_RESULT: (VIEW, True),
    # Four-eyes: those who may approve, never the proposer (who cannot approve their own).
    Kind.PROPOSAL_PENDING: ("strategies.approve_proposal", False),
    Kind.ALERT_FIRING: (OPERATE, False),
    Kind.ALERT_RESOLVED: (OPERATE, False),
    # Without streams the page and the gate's position lag: everyone who trades should know.
    Kind.STREAMS_DOWN: (VIEW, False),
    Kind.STREAMS_UP: (VIEW, False),
    Kind.DAILY_SUMMARY: (VIEW, True),
}


def may_see(user, event: Event) -> bool:
    """True when user's role lets them read this event."""
    if not (user and user.is_active):
        return False
    permission, owner_only = RULES[event.kind]
    if not user.has_perm(permission):
        return False
    if event.kind == Kind.PROPOSAL_PENDING:
        return event.owner_id != user.pk
    if owner_only and event.owner_id != user.pk:
        return user.has_perm(ACT_FOR_OTHERS)
    return True


def kinds_for(user) -> list[str]:
    """The kinds a user could be sent at all (for the profile page)."""
    return [k for k, (perm, _o) in RULES.items() if user.has_perm(perm)]


# What people read for each kind and channel (the choices' own labels stay English codes).
KIND_LABELS = {
    Kind.FILL: _("Fills"),
    Kind.ORDER_REJECTED: _("Rejected orders"),
    Kind.BREAKER_OPENED: _("Circuit breaker opened"),
    Kind.BREAKER_CLOSED: _("Circuit breaker closed"),
    Kind.LOSS_BUDGET_LOW: _("Loss budget below 20 %"),
    Kind.CANARY_RESULT: _("Canary results"),
    Kind.PROPOSAL_PENDING: _("Parameter changes waiting for approval"),
    Kind.ALERT_FIRING: _("Alerts firing"),
    Kind.ALERT_RESOLVED: _("Alerts resolved"),
    Kind.STREAMS_DOWN: _("Live streams down"),
    Kind.STREAMS_UP: _("Live streams back"),
    Kind.DAILY_SUMMARY: _("Daily summary"),
}
CHANNEL_LABELS = {"telegram": _("Telegram"), "webhook": _("Webhook"), "email": _("Email")}
