"""The account as the copilot sees it: read from Spark's own rows, never from what a client sends.

`account_context(user=..., prompt=...)` returns the same keys a page context has (see
`copilot.parser.PageContext`), so "ETH pozisyonumu kapat" resolves against the real position,
"canary onay" against the caller's latest confirmable run, and "100 dolarlık ETH al" against the
mark price. Reads only: positions, the caller's open orders (everyone's with act_for_others),
canary runs, the account snapshot, realized PnL and, for a symbol the sentence names, its mark
price and step size from the exchange connector's cache. The position mode (one-way or hedge)
is read as the pages read it (futures.position_mode, again when stale), so on a hedge account
positions carry their positionSide and "BTC long pozisyonumu kapat" names that side.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from accounts.permissions import may_act_on
from canary.models import CanaryRun
from futures.binance.rest import client_from_settings
from futures.models import OPEN_STATUSES, AccountSnapshot, Order, PositionSide
from futures.position_mode import PositionMode, position_mode_for_page
from futures.selectors import open_positions, risk_filters
from risk.models import PnLEntry, RiskLimits
from spark_site.exchange_env import environment_of
from spark_site.money import decimal_text

log = logging.getLogger(__name__)


def account_context(*, user, prompt: str, symbols: list[str] | None = None) -> dict:
    """The account's state in page-context keys; the service lays it over the client's."""
    env = environment_of(settings.BINANCE_FUTURES_BASE_URL)
    # read before the positions: a new reading zeroes the rows of the other mode
    mode = position_mode_for_page()
    positions = [
        {
            "symbol": row.symbol,
            "positionAmt": decimal_text(row.position_amt),
            "entryPrice": decimal_text(row.entry_price),
            "markPrice": decimal_text(row.mark_price) if row.mark_price else None,
            "liquidationPrice": decimal_text(row.liquidation_price),
            "unrealizedPnl": decimal_text(row.unrealized_pnl),
            "leverage": row.leverage,
            "marginType": row.margin_type,
            "positionSide": row.position_side,
        }
        for row in open_positions(env)
    ]
    orders = Order.objects.filter(environment=env, dry_run=False, status__in=OPEN_STATUSES)
    if not may_act_on(user, None):  # act_for_others sees every order; a trader only theirs
        orders = orders.filter(user=user)
    open_orders = [
        {
            "symbol": o.symbol,
            "orderId": o.algo_id if o.is_algo else o.exchange_order_id,
            "clientOrderId": o.client_order_id,
            "side": o.side,
            "type": o.type,
            "quantity": decimal_text(o.quantity),
            "price": decimal_text(o.price),
            "stopPrice": decimal_text(o.stop_price),
        }
        for o in orders.order_by("created_at")[:50]
    ]
    context: dict = {
        "positions": positions,
        "openOrders": open_orders,
        "positionMode": _position_mode(mode, positions),
    }
    runs = CanaryRun.objects.filter(
        status=CanaryRun.Status.SIMULATED, expires_at__gt=timezone.now()
    ).order_by("-id")
    if not may_act_on(user, None):
        runs = runs.filter(started_by=user)
    run = runs.first()
    context["lastCanaryRunId"] = run.pk if run is not None else None
    snap = AccountSnapshot.objects.filter(environment=env).first()
    if snap is not None:
        context["balance"] = {
            "walletBalance": decimal_text(snap.wallet_balance),
            "availableBalance": decimal_text(snap.available_balance),
            "marginBalance": decimal_text(snap.margin_balance),
            "maintMargin": decimal_text(snap.maint_margin),
            "marginRatio": decimal_text(snap.margin_ratio),
            "unrealizedPnl": decimal_text(snap.unrealized_pnl),
        }
    context["pnl"] = _pnl()
    marks, steps = _market(symbols or [], positions)
    context["marks"], context["stepSizes"] = marks, steps
    return context


def _position_mode(mode: PositionMode | None, positions: list[dict]) -> str | None:
    """The mode as Spark last read it from the exchange, "hedge" or "one-way" (read again when
    stale, as a page does); None when it was never read and the exchange cannot say.

    A stored LONG/SHORT row also means hedge: Binance keeps side rows only in hedge mode and a
    reading of one-way zeroes them (position_mode.zero_other_mode), so "close my BTC" can never
    turn into a one-way order against a hedge account whose reading is missing.
    """
    if mode is not None:
        return "hedge" if mode.dual else "one-way"
    if any(p["positionSide"] != PositionSide.BOTH for p in positions):
        return "hedge"
    return None


def _pnl() -> dict:
    """Realized PnL today and over the last seven trading days, and today's per symbol."""
    limits = RiskLimits.load()
    today = limits.trading_day()
    rows = PnLEntry.objects.filter(trading_day=today)
    by_symbol = {
        r["symbol"]: decimal_text(r["total"])
        for r in rows.values("symbol").annotate(total=Sum("amount"))
    }
    week = PnLEntry.objects.filter(trading_day__gt=today - timedelta(days=7)).aggregate(
        total=Sum("amount")
    )["total"]
    today_total = rows.aggregate(total=Sum("amount"))["total"]
    return {
        "today": decimal_text(today_total or 0),
        "week": decimal_text(week or 0),
        "bySymbol": by_symbol,
    }


def _market(symbols: list[str], positions: list[dict]) -> tuple[dict, dict]:
    """Mark prices and step sizes of the symbols the sentence names (cached by the connector).

    An unreachable exchange leaves them out: a notional then becomes a question, never a guess.
    """
    marks: dict[str, str] = {}
    steps: dict[str, str] = {}
    held = {p["symbol"] for p in positions}
    for symbol in dict.fromkeys(list(symbols) + (sorted(held) if symbols else [])):
        try:
            filters = risk_filters(symbol)
            if filters and filters.get("stepSize"):
                steps[symbol] = decimal_text(filters["stepSize"])
            if symbol in symbols:
                marks[symbol] = decimal_text(client_from_settings().mark_price(symbol, max_age=5.0))
        except Exception as exc:  # noqa: BLE001 - a read for a reply; the order path checks again
            log.info("copilot: no market data for %s (%s)", symbol, type(exc).__name__)
    return marks, steps
