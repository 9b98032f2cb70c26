"""The canary page: runs with status and evidence, run and confirm buttons for those allowed."""

from __future__ import annotations

from django.shortcuts import render

from accounts.pages import page_access
from accounts.permissions import can, may_act_on
from canary.models import CanaryRun
from canary.schemas import canary_status_out
from canary.services import canary_status


def canary_page(request):
    if (denied := page_access(request)) is not None:
        return denied
    status = canary_status_out(canary_status(limit=50))  # the API's document
    # Show a confirm button only on runs this user may confirm (their own, or any for operators).
    owners = dict(
        CanaryRun.objects.filter(pk__in=[r["id"] for r in status["runs"]]).values_list(
            "pk", "started_by_id"
        )
    )
    for run in status["runs"]:
        run["mayConfirm"] = may_act_on(request.user, owners.get(run["id"]))
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
