"""Audit every login, failed login and logout, whatever page or form it came through."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditEntry
from audit.services import record


def _path(request) -> str:
    return getattr(request, "path", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    record(
        actor=user,
        action="auth.login",
        target=user.get_username(),
        payload={"path": _path(request)},
    )


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # credentials are already cleansed by Django (the password is masked); keep the username.
    throttled = getattr(request, "spark_login_throttled", False)
    record(
        actor=None,
        action="auth.login",
        target=str(credentials.get("username", ""))[:150],
        payload={
            "reason": "rate_limited" if throttled else "bad_credentials",
            "path": _path(request),
        },
        outcome=AuditEntry.Outcome.DENIED if throttled else AuditEntry.Outcome.FAILED,
    )


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(
            actor=user,
            action="auth.logout",
            target=user.get_username(),
            payload={"path": _path(request)},
        )
