"""The three roles as Django groups, and the one table of what each may do."""

from __future__ import annotations

import logging

from django.contrib.auth.models import Group, Permission

logger = logging.getLogger(__name__)

VIEWER, TRADER, OPERATOR = "viewer", "trader", "operator"
ROLES = (VIEWER, TRADER, OPERATOR)

# Permission codes are Django model permissions ("app_label.codename"), declared in each
# app's Meta.permissions; an admin can grant any one of them to a single user as well.
VIEW = ["accounts.view_platform"]
TRADE = [
    "futures.place_order",
    "futures.cancel_order",
    "futures.change_leverage",
    "futures.change_margin_type",
    "futures.control_streams",
    "canary.run_canary",
    "canary.confirm_canary",
    "copilot.add_strategydraft",
    "strategies.run_backtest",
    "strategies.propose_change",
    "strategies.run_strategy",
]
OPERATE = [
    "risk.change_risklimits",
    "risk.open_circuit_breaker",
    "risk.close_circuit_breaker",
    "risk.record_pnl",
    "futures.reconcile_orders",
    "accounts.manage_tokens",
    "accounts.add_apitoken",
    "accounts.change_apitoken",
    "accounts.view_apitoken",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "audit.view_auditentry",
    "risk.view_risklimits",
    # Four-eyes: an operator other than the proposer approves parameter changes.
    "strategies.approve_proposal",
    # A desk shares one exchange account: a trader acts only on what they created; an operator
    # may cancel or confirm anyone's (and orders placed outside Spark), audited with the owner.
    "accounts.act_for_others",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    VIEWER: VIEW,
    TRADER: VIEW + TRADE,
    OPERATOR: VIEW + TRADE + OPERATE,
}


def role_rank(who) -> int:
    """Rank of a role name or a user's top role: none < viewer < trader < operator < superuser."""
    if isinstance(who, str):
        return ROLES.index(who) + 1 if who in ROLES else 0
    if not getattr(who, "is_authenticated", False):
        return 0
    if who.is_superuser:
        return len(ROLES) + 1
    names = set(who.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return max((ROLES.index(name) + 1 for name in names), default=0)


def _permission(code: str) -> Permission | None:
    app_label, codename = code.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def sync_roles() -> list[str]:
    """Create the groups and grant their permissions; return codes not (yet) defined."""
    missing: list[str] = []
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        found = []
        for code in codes:
            perm = _permission(code)
            if perm is None:
                missing.append(code)
            else:
                found.append(perm)
        group.permissions.add(*found)
    return sorted(set(missing))


def sync_roles_after_migrate(sender, **kwargs) -> None:
    """Keep the groups complete after every migrate (new apps add new permissions)."""
    missing = sync_roles()
    if missing:
        logger.debug("role permissions not defined yet: %s", ", ".join(missing))


def assign_role(user, role: str) -> None:
    """Put user in exactly one role group; operator also gets admin access (is_staff)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    sync_roles()
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get(name=role))
    user.is_staff = role == OPERATOR or user.is_superuser
    user.save(update_fields=["is_staff"])
