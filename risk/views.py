"""The operators' limits editor page (the same validation and audit as the admin)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import require
from risk.limits import PERMISSION, InvalidLimits, LimitsForm, limits_update
from risk.models import RiskLimits
from spark_site.errors import PermissionDenied


def limits_page(request):
    """GET: the form with the current limits and their conflicts; POST: save them."""
    try:
        require(request.user, PERMISSION, action="risk.limits.view", target="risk_limits")
    except PermissionDenied:
        return render(request, "error.html", {"status": 403}, status=403)
    row = RiskLimits.load()
    form = LimitsForm(instance=row)
    status = 200
    if request.method == "POST":
        try:
            limits_update(user=request.user, data=request.POST)
        except InvalidLimits as exc:
            form, status = exc.form, 422
        else:
            messages.success(request, _("Limits saved."))
            return redirect("limits")
    return render(request, "risk/limits.html", {"form": form}, status=status)
