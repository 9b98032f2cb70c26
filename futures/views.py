"""Pages of the futures app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.permissions import can
from futures.position_mode import position_mode_for_page
from futures.services import tradable_symbols


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
            "can_set_leverage": can(request.user, "futures.change_leverage"),
            "trading_symbols": tradable_symbols(fallback=symbols),
            "can_control_streams": can(request.user, "futures.control_streams"),
            "account_mode": _account_mode(),
        },
    )


def _account_mode() -> dict:
    """The account's position mode as the server last read it (never assumed): the page's
    indicator, and whether the order form and the position rows name a side (LONG/SHORT).

    "unknown" when the exchange could not be read and there is no earlier reading: the page
    says so and sends no side, so the server's own reading decides each order.
    """
    mode = position_mode_for_page()
    if mode is None:
        return {"mode": "unknown", "hedge": False, "checked_at": None}
    return {"mode": mode.as_dict()["mode"], "hedge": mode.dual, "checked_at": mode.checked_at}
