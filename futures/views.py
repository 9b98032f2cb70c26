"""Pages of the futures app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.permissions import can


@login_required
def dashboard(request):
    """The live dashboard: server-rendered frame, filled and updated over /ws/live/."""
    symbols = list(getattr(settings, "SPARK_STREAM_SYMBOLS", []) or ["BTCUSDT"])
    wanted = (request.GET.get("symbol") or "").upper()
    symbol = wanted if wanted in symbols else symbols[0]
    return render(
        request,
        "futures/dashboard.html",
        {
            "symbols": symbols,
            "symbol": symbol,
            "can_trade": can(request.user, "futures.place_order"),
            "can_control_streams": can(request.user, "futures.control_streams"),
        },
    )
