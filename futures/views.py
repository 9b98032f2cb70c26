"""Pages of the futures app."""

from __future__ import annotations

from django.shortcuts import render

from accounts.permissions import can


def dashboard(request):
    """The live dashboard (filled over /ws/live/ by the streams work)."""
    return render(
        request,
        "futures/dashboard.html",
        {"can_trade": can(request.user, "futures.place_order")},
    )
