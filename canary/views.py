"""The canary page: runs with status and evidence, run and confirm buttons for those allowed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.permissions import can
from canary.services import canary_status


def _may_read(request) -> bool | None:
    """True if the page may be shown, None if the visitor must log in first, False if never."""
    if settings.SPARK_PUBLIC_READS:
        return True
    if not request.user.is_authenticated:
        return None
    return request.user.has_perm("accounts.view_platform")


def canary_page(request):
    allowed = _may_read(request)
    if allowed is None:
        return redirect_to_login(request.get_full_path())
    if not allowed:
        raise PermissionDenied
    status = canary_status(limit=50)
    return render(
        request,
        "canary/canary.html",
        {
            "policy": status["policy"],
            "runs": status["runs"],
            "can_run": can(request.user, "canary.run_canary"),
            "can_confirm": can(request.user, "canary.confirm_canary")
            and status["policy"]["confirmAllowed"],
        },
    )
