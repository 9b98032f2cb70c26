"""The canary page: runs with status and evidence, run and confirm buttons for those allowed."""

from __future__ import annotations

from django.shortcuts import render

from accounts.pages import page_access
from accounts.permissions import can
from canary.services import canary_status


def canary_page(request):
    if (denied := page_access(request)) is not None:
        return denied
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
