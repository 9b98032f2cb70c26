"""The one permission check every service calls: refusals are 401/403 and audited."""

from __future__ import annotations

from django.utils.translation import gettext_noop

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
            "You do not have the permission %(permission)s needed for %(action)s.",
            params={"permission": permission, "action": action},
            details={"permission": permission},
        )


def can(user, permission: str) -> bool:
    """True when user may use permission (pages use this to hide buttons)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(permission))


# A desk shares one exchange account; Spark records who created each order, canary run,
# optimization and strategy runner. This permission (operators) lets a user act on objects
# someone else created, or that nobody in Spark created (orders placed outside Spark).
ACT_FOR_OTHERS = "accounts.act_for_others"


class NotOwner(PermissionDenied):
    code = "NOT_OWNER"


def owner_name(owner) -> str | None:
    """The owner's username for audit and errors (None: not created through Spark)."""
    return owner.get_username() if owner is not None else None


def may_act_on(user, owner_id: int | None) -> bool:
    """True when user may act on an object owner_id created (pages use it to hide buttons)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return (owner_id is not None and owner_id == user.pk) or user.has_perm(ACT_FOR_OTHERS)


def require_owner(user, owner, *, action: str, target: str = "", kind: str) -> None:
    """Raise 403 NOT_OWNER unless user created the object or holds act_for_others; audit it.

    Call it after require() of the action's own permission, so user is authenticated.
    """
    if may_act_on(user, owner.pk if owner is not None else None):
        return
    name = owner_name(owner)
    record(
        actor=user,
        action=action,
        target=target,
        payload={"permission": ACT_FOR_OTHERS, "owner": name, "reason": "not_owner"},
        outcome=AuditEntry.Outcome.DENIED,
    )
    owned, unowned = NOT_OWNER_MESSAGES.get(kind, NOT_OWNER_MESSAGES["object"])
    raise NotOwner(
        owned if name else unowned,
        params={"owner": name, "permission": ACT_FOR_OTHERS},
        details={"permission": ACT_FOR_OTHERS, "owner": name, "kind": kind},
    )


# The refusal per kind of object, (someone's, unowned): a whole sentence each, so every language
# can say the object's name its own way (values stay apart: the owner and the permission).
_ANYONE = (
    "only its creator, or a user with the permission %(permission)s (operators), may act on it."
)
NOT_OWNER_MESSAGES = {
    "order": (
        gettext_noop("This is %(owner)s's order: " + _ANYONE),
        gettext_noop("This is an unowned (placed outside Spark) order: " + _ANYONE),
    ),
    "optimization": (
        gettext_noop("This is %(owner)s's optimization: " + _ANYONE),
        gettext_noop("This is an unowned (placed outside Spark) optimization: " + _ANYONE),
    ),
    "runner": (
        gettext_noop("This is %(owner)s's runner: " + _ANYONE),
        gettext_noop("This is an unowned (placed outside Spark) runner: " + _ANYONE),
    ),
    "canary run": (
        gettext_noop("This is %(owner)s's canary run: " + _ANYONE),
        gettext_noop("This is an unowned (placed outside Spark) canary run: " + _ANYONE),
    ),
    "object": (
        gettext_noop("This is %(owner)s's object: " + _ANYONE),
        gettext_noop("This is an unowned (placed outside Spark) object: " + _ANYONE),
    ),
}
