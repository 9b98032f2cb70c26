"""Token workflows, each checked against the caller's role and audited."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.permissions import require
from accounts.roles import ROLES, assign_role
from audit.services import record


def token_create(*, actor, username: str, role: str, name: str = "", expires_days=None):
    """Create (or re-role) a user and issue a token; return (row, raw token)."""
    # The check runs before the transaction, so the audit entry of a refusal is kept.
    require(actor, "accounts.manage_tokens", action="token.create", target=username)
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        assign_role(user, role)
        expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
        token, raw = ApiToken.issue(user, name=name, expires_at=expires)
        record(
            actor=actor,
            action="token.create",
            target=username,
            payload={"token_prefix": token.prefix, "role": role},
        )
    return token, raw


def token_revoke(*, actor, prefix: str) -> int:
    """Revoke every live token with this prefix; return how many."""
    require(actor, "accounts.manage_tokens", action="token.revoke", target=prefix)
    with transaction.atomic():
        count = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        record(actor=actor, action="token.revoke", target=prefix, payload={"revoked": count})
    return count


def roles_of(user) -> list[str]:
    """Return the role names the user holds."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
