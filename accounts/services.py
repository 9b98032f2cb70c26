"""Token workflows, each checked against the caller's role and audited."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.permissions import require
from accounts.roles import ROLES, assign_role, role_rank
from audit.models import AuditEntry
from audit.services import record
from spark_site.errors import PermissionDenied


class _TakenMeanwhile(Exception):
    """The username was free at the check and taken by the time the row was written."""


def _refuse_mint(*, actor, username: str, role: str, reason: str) -> PermissionDenied:
    """Audit a refused mint (outside any transaction, so the entry survives) and return the 403."""
    record(
        actor=actor,
        action="token.create",
        target=username,
        payload={"permission": "accounts.manage_tokens", "role": role, "reason": reason},
        outcome=AuditEntry.Outcome.DENIED,
    )
    return PermissionDenied(
        "A token may be issued only for yourself at your own role, or for a new user at a role"
        " no higher than yours.",
        details={"permission": "accounts.manage_tokens", "reason": reason},
    )


def _mint_refusal(*, actor, username: str, role: str) -> str:
    """Why actor may not mint this token ('' when allowed).

    Minting for an existing user would let an operator answer as the superuser or another
    operator (and so approve their own proposal through a second identity), or re-role them.
    """
    if username == actor.get_username():
        return "" if role_rank(role) == role_rank(actor) else "own_role_change"
    if get_user_model().objects.filter(username=username).exists():
        return "existing_user"
    if role_rank(role) > role_rank(actor):
        return "role_above_yours"
    return ""


def token_create(*, actor, username: str, role: str, name: str = "", expires_days=None):
    """Issue a token for the actor, or create a new user at a role up to the actor's and issue one.

    Return (row, raw token); anything else is refused with 403 and audited.
    """
    # The checks run before the transaction, so the audit entry of a refusal is kept.
    require(actor, "accounts.manage_tokens", action="token.create", target=username)
    reason = _mint_refusal(actor=actor, username=username, role=role)
    if reason:
        raise _refuse_mint(actor=actor, username=username, role=role, reason=reason)
    try:
        return _token_create(
            actor=actor, username=username, role=role, name=name, expires_days=expires_days
        )
    except _TakenMeanwhile:
        raise _refuse_mint(
            actor=actor, username=username, role=role, reason="existing_user"
        ) from None


@transaction.atomic
def _token_create(*, actor, username: str, role: str, name: str, expires_days):
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
        assign_role(user, role)
    elif user.pk != actor.pk:
        # Another request created this user between the check and here: never mint for it.
        raise _TakenMeanwhile
    expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
    token, raw = ApiToken.issue(user, name=name, expires_at=expires)
    record(
        actor=actor,
        action="token.create",
        target=username,
        payload={"token_prefix": token.prefix, "role": role, "new_user": created},
    )
    return token, raw


def _revoke_refusal(actor, owner) -> str:
    """Why actor may not revoke a token of owner ('' when allowed).

    As with minting, authority runs only downwards: revoking the superuser's or another
    operator's tokens would lock them out of the API.
    """
    if owner.pk == actor.pk:
        return ""
    if owner.is_superuser:
        return "superuser"
    if owner.is_staff and not actor.is_superuser:
        return "staff"  # admin access, as in the admin's own rule (accounts.admin.may_manage)
    if role_rank(owner) >= role_rank(actor):
        return "role_not_below_yours"
    return ""


def token_revoke(*, actor, prefix: str) -> int:
    """Revoke every live token with this prefix, if each is yours or of a user below your role.

    Return how many; if any matching token is out of reach, revoke none: 403, audited.
    """
    require(actor, "accounts.manage_tokens", action="token.revoke", target=prefix)
    live = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
    tokens = list(live.select_related("user"))
    for token in tokens:
        reason = _revoke_refusal(actor, token.user)
        if reason:
            record(
                actor=actor,
                action="token.revoke",
                target=prefix,
                payload={
                    "permission": "accounts.manage_tokens",
                    "owner": token.user.get_username(),
                    "reason": reason,
                },
                outcome=AuditEntry.Outcome.DENIED,
            )
            raise PermissionDenied(
                "You may revoke only your own tokens, or tokens of users below your role.",
                details={"permission": "accounts.manage_tokens", "reason": reason},
            )
    with transaction.atomic():
        # Only the rows checked above: a token minted meanwhile with this prefix is not touched.
        count = ApiToken.objects.filter(
            pk__in=[t.pk for t in tokens], revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        record(
            actor=actor,
            action="token.revoke",
            target=prefix,
            payload={
                "revoked": count,
                "owners": sorted({t.user.get_username() for t in tokens}),
            },
        )
    return count


def roles_of(user) -> list[str]:
    """Return the role names the user holds."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
