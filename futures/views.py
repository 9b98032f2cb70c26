"""Pages of the futures app."""

from __future__ import annotations

from decimal import Decimal

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
            "hedge": _hedge_banner(),
        },
    )


def _hedge_banner() -> dict | None:
    """What the hedge-mode banner lists, or None on a one-way account (or one never read)."""
    mode = position_mode_for_page()
    if mode is None or not mode.dual:
        return None
    return {
        "checked_at": mode.checked_at,
        "positions": [
            {
                "symbol": p["symbol"],
                "long": p["positionSide"] == "LONG",
                "amount": Decimal(p["positionAmt"]),
                "entry": Decimal(p["entryPrice"]) if p.get("entryPrice") else None,
            }
            for p in mode.side_positions
        ],
    }
