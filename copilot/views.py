"""Pages of the copilot: /copilot-home (chat) and /strategy-lab-copilot (strategy ideas)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.permissions import can
from copilot import services
from copilot.parser import COMMANDS

# The four presets of the seed, then quick commands; labels are translated in the template.
PRESETS = (
    ("ws", "WS başlat"),
    ("dry", "dry-run emir"),
    ("canary", "canary"),
    ("risk", "futures riskim"),
)
QUICK = ("portföy özeti", "pozisyonlarım", "açık emirler", "bakiyem", "ws durumu", "metrikler")


def _history(user) -> list[dict]:
    return [
        {"id": m.pk, "prompt": m.prompt, "answer": m.answer, "at": m.created_at.isoformat()}
        for m in services.chat_history(user=user, limit=30)
    ]


def _strings() -> dict[str, str]:
    """Texts the page's script shows, translated here (a quote in a translation stays safe)."""
    return {
        "run": _("Run"),
        "running": _("Running…"),
        "action": _("Action"),
        "response": _("Response"),
        "confirm": _("This action needs confirmation. Run it now?"),
        "needsConfirm": _("needs confirmation"),
        "noPermission": _("You lack the permission"),
        "cancelled": _("Cancelled: nothing was sent."),
        "error": _("Request failed"),
        "you": _("You"),
        "copilot": _("Copilot"),
        "noPositions": _("No open positions."),
        "noOrders": _("No orders."),
        "breakerOpen": _("The circuit breaker is OPEN: new orders are rejected."),
        "closeBreaker": _("close the circuit breaker"),
        "streamsStale": _("Streams are stale or down."),
        "startStreams": _("start streams"),
        "allGood": _("All clear: streams up, breaker closed."),
        "rejectsHigh": _("Many recent orders were rejected."),
        "riskCmd": _("my futures risk"),
        "wallet": _("Wallet balance"),
        "available": _("Available"),
        "unrealized": _("Unrealized PnL"),
        "todayPnl": _("PnL today"),
        "lossBudget": _("Remaining loss budget"),
        "maxNotional": _("Max notional"),
        "breaker": _("Circuit breaker"),
        "open": _("open"),
        "closed": _("closed"),
        "dryRun": _("dry-run"),
        "name": _("Name"),
        "save": _("Save draft"),
        "saved": _("Saved."),
        "entry": _("Entry"),
        "exit": _("Exit"),
        "all": _("all of"),
        "any": _("any of"),
        "stopLoss": _("Stop-loss %"),
        "takeProfit": _("Take-profit %"),
        "size": _("Position size (USD)"),
        "indicators": _("Indicators"),
        "timeframe": _("Timeframe"),
        "type": _("Strategy type"),
        "side": _("Side"),
        "symbol": _("Symbol"),
        "noDrafts": _("No drafts yet."),
        "load": _("Open"),
        "invalid": _("Not valid"),
        "trend_following": _("trend following"),
        "mean_reversion": _("mean reversion"),
        "breakout": _("breakout"),
        "momentum": _("momentum"),
        "long": _("long"),
        "short": _("short"),
        # the confirmation listing and the choice buttons of a chat answer
        "orderType": _("Order type"),
        "buy": _("Buy"),
        "sell": _("Sell"),
        # hedge mode: which position (side) an action opens or closes
        "positionSide": _("Position side"),
        "sideLong": _("Long"),
        "sideShort": _("Short"),
        "quantity": _("Quantity"),
        "price": _("Price"),
        "trigger": _("Trigger price"),
        "callbackRate": _("Callback rate"),
        "activationPrice": _("Activation price"),
        "slTrigger": _("Stop loss"),
        "tpTrigger": _("Take profit"),
        "closes": _("Closes"),
        "wholePosition": _("the whole position (closePosition)"),
        "reduceOnly": _("Reduce-only"),
        "yes": _("yes"),
        "leverage": _("Leverage"),
        "marginType": _("Margin type"),
        "isolated": _("isolated"),
        "crossed": _("cross"),
        "runId": _("Canary run"),
        "orderId": _("Order number"),
        "mode": _("Mode"),
        "live": _("LIVE"),
        "choose": _("Choose one"),
        "needsEndpoint": _(
            "The endpoint for this action is not in the API yet; it is shown, not run."
        ),
        "types": {
            "MARKET": _("market"),
            "LIMIT": _("limit"),
            "STOP": _("stop-limit"),
            "STOP_MARKET": _("stop-market"),
            "TAKE_PROFIT": _("take-profit limit"),
            "TAKE_PROFIT_MARKET": _("take-profit market"),
            "TRAILING_STOP_MARKET": _("trailing stop"),
        },
        "intents": _intent_names(),
        # an API answer shown as a table: field names and coded values in words
        "showJson": _("Show JSON"),
        "empty": _("Nothing to show."),
        "records": _("%(n)s records"),
        "no": _("no"),
        "fields": _field_names(),
        "values": _value_names(),
        # the strategy lab's trace of each value to the words it came from
        "traceField": _("Value"),
        "traceWords": _("From the words"),
        "traceDefault": _("default"),
    }


def _field_names() -> dict[str, str]:
    """Labels of the fields the API answers with (the keys stay in data-field)."""
    return {
        "symbol": _("Symbol"),
        "side": _("Side"),
        "positionSide": _("Position side"),
        "type": _("Order type"),
        "status": _("Status"),
        "quantity": _("Quantity"),
        "origQty": _("Quantity"),
        "executedQty": _("Filled"),
        "price": _("Price"),
        "avgPrice": _("Average price"),
        "stopPrice": _("Trigger price"),
        "clientOrderId": _("Client order id"),
        "orderId": _("Order number"),
        "dryRun": _("Dry run"),
        "reduceOnly": _("Reduce-only"),
        "positionAmt": _("Size"),
        "entryPrice": _("Entry price"),
        "markPrice": _("Mark price"),
        "unRealizedProfit": _("Unrealized PnL"),
        "unrealizedPnl": _("Unrealized PnL"),
        "liquidationPrice": _("Liquidation price"),
        "leverage": _("Leverage"),
        "marginType": _("Margin type"),
        "updateTime": _("Updated"),
        "time": _("Time"),
        "createdAt": _("Created"),
        "created_at": _("Created"),
        "message": _("Message"),
        "order": _("Order"),
        "orders": _("Orders"),
        "positions": _("Positions"),
        "cancelled": _("Cancelled"),
        "placed": _("Placed"),
        "replaced": _("Replaced"),
        "stopLoss": _("Stop loss"),
        "takeProfit": _("Take profit"),
        "closePosition": _("Closes the position"),
        "callbackRate": _("Callback rate"),
        "activationPrice": _("Activation price"),
        "circuitBreaker": _("Circuit breaker"),
        "state": _("State"),
        "reason": _("Reason"),
        "limits": _("Limits"),
        "pnl": _("PnL"),
        "remaining": _("Remaining"),
        "walletBalance": _("Wallet balance"),
        "availableBalance": _("Available"),
        "running": _("Running"),
        "rounded": _("Rounded"),
        "environment": _("Environment"),
        "id": _("Number"),
        "executed": _("Sent"),
        "simulated": _("Simulated"),
        "commission": _("Commission"),
        "commissionAsset": _("Commission asset"),
        "open": _("Open"),
        "openedAt": _("Opened at"),
        "openedBy": _("Opened by"),
        "openedReason": _("Reason for opening"),
        "closedAt": _("Closed at"),
        "closedBy": _("Closed by"),
        "maxNotionalUsd": _("Max notional (USD)"),
        "defaultMaxPositionUsd": _("Default max position (USD)"),
        "dailyLossLimitUsd": _("Daily loss limit (USD)"),
        "todayPnl": _("PnL today"),
        "countedPnl": _("PnL counted against the budget"),
        "remainingLossBudget": _("Remaining loss budget"),
        "tradingDay": _("Trading day"),
        "conflicts": _("Conflicts"),
        "runId": _("Canary run"),
        "keepPosition": _("Keep the position"),
        "rates": _("Funding rates"),
        "lastFundingRate": _("Last funding rate"),
        "nextFundingTime": _("Next funding"),
        "indexPrice": _("Index price"),
    }


def _value_names() -> dict[str, str]:
    """Coded values shown in words (the API keeps the codes)."""
    return {
        "BUY": _("Buy"),
        "SELL": _("Sell"),
        "NEW": _("new"),
        "FILLED": _("filled"),
        "PARTIALLY_FILLED": _("partly filled"),
        "CANCELED": _("cancelled"),
        "REJECTED": _("rejected"),
        "EXPIRED": _("expired"),
        "SIMULATED": _("simulated"),
        "PENDING_SUBMIT": _("being sent"),
        "CONFIRMED": _("confirmed"),
        "OPEN": _("open"),
        "CLOSED": _("closed"),
        "ISOLATED": _("isolated"),
        "CROSSED": _("cross"),
    }


def _intent_names() -> dict[str, str]:
    """Friendly names of the copilot's intents (their ids stay in data-intent)."""
    return {
        "ws.start": _("Start streams"),
        "ws.stop": _("Stop streams"),
        "ws.status": _("Stream status"),
        "order.place": _("New order"),
        "position.close": _("Close position"),
        "position.protect": _("Protect position"),
        "position.trailing": _("Trailing stop"),
        "order.modify": _("Change order"),
        "order.cancel": _("Cancel order"),
        "order.cancelAll": _("Cancel all orders"),
        "leverage.set": _("Change leverage"),
        "margin.set": _("Change margin type"),
        "canary.run": _("Canary run"),
        "canary.confirm": _("Confirm canary"),
        "canary.status": _("Canary status"),
        "portfolio.summary": _("Portfolio summary"),
        "risk.status": _("Risk status"),
        "risk.breaker.close": _("Close circuit breaker"),
        "risk.breaker.open": _("Open circuit breaker"),
        "positions.list": _("Positions"),
        "orders.open": _("Open orders"),
        "account.balance": _("Balance"),
        "account.margin": _("Margin"),
        "pnl.summary": _("Profit and loss"),
        "market.funding": _("Funding rate"),
        "position.liquidation": _("Liquidation price"),
        "metrics": _("Metrics"),
        "health": _("System health"),
        "help": _("Help"),
        "clarify": _("Question"),
        "unknown": _("Not understood"),
    }


@login_required
def copilot_home(request):
    """Chat with the copilot; each answer's action runs through the normal API on request."""
    user = request.user
    action_permissions = {f"{c.method} {c.path}": c.permission for c in COMMANDS if c.permission}
    symbols = list(getattr(settings, "SPARK_STREAM_SYMBOLS", []) or ["BTCUSDT"])
    return render(
        request,
        "copilot/home.html",
        {
            "presets": PRESETS,
            "quick": QUICK,
            "history": _history(user),
            "page_data": {
                "permissions": sorted(user.get_all_permissions()),
                "actionPermissions": action_permissions,
                "symbol": symbols[0],
                "canCloseBreaker": can(user, "risk.close_circuit_breaker"),
                "hasLive": bool(finders.find("spark/live.js")),
            },
            "has_live": bool(finders.find("spark/live.js")),
            "strings": _strings(),
        },
    )


@login_required
def strategy_lab(request):
    """Write a strategy idea, see it as a card and JSON, edit it, save and list drafts."""
    user = request.user
    drafts = [
        {"id": d.pk, "name": d.name, "updated_at": d.updated_at.isoformat(), "document": d.document}
        for d in services.drafts_of(user=user)[:50]
    ]
    return render(
        request,
        "copilot/strategy_lab.html",
        {
            "drafts": drafts,
            "page_data": {"canSave": can(user, "copilot.add_strategydraft")},
            "strings": _strings(),
        },
    )
