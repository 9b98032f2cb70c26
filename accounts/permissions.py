"""The one permission check every service calls: refusals are 401/403 and audited."""

from __future__ import annotations

from audit.models import AuditEntry
from audit.services import record
from spark_site.errors import NotAuthenticated, PermissionDenied


def require(user, permission: str, *, action: str, target: str = "") -> None:
    """Raise unless user holds permission; write a 'denied' audit entry for a refusal."""
    if user is None or not getattr(user, "is_authenticated", False):
        record(
            actor=None,
            action=action,
            target=target,
            payload={"permission": permission},
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise NotAuthenticated("Authentication is required.", details={"permission": permission})
    if not user.is_active or not user.has_perm(permission):
        record(
            actor=user,
            action=action,
            target=target,
            payload={"permission": permission},
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise PermissionDenied(
            f"You do not have the permission {permission} needed for {action}.",
            details={"permission": permission},
        )


def can(user, permission: str) -> bool:
    """True when user may use permission (pages use this to hide buttons)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(permission))
