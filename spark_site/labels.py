"""What a person reads for a code the exchange or Spark uses (statuses, sides, types, states).

Codes stay English and stable in the API and in data attributes; pages show `label(code)` in the
page's language: the `label` template filter (a builtin of every template) and, for JavaScript,
the same table as JSON in base.html (`SparkI18n.label(code)`, static/spark/i18n.js).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    # Order statuses (Binance's names plus our local ones).
    "PENDING_SUBMIT": _("sending"),
    "NEW": _("open"),
    "PARTIALLY_FILLED": _("partially filled"),
    "FILLED": _("filled"),
    "CANCELED": _("canceled"),
    "CANCELLED": _("canceled"),
    "REJECTED": _("rejected"),
    "EXPIRED": _("expired"),
    "EXPIRED_IN_MATCH": _("expired in match"),
    "UNKNOWN": _("unknown"),
    # Canary runs, backtests, optimizations, proposals, runners.
    "SIMULATED": _("simulated"),
    "CONFIRMED": _("confirmed"),
    "FAILED": _("failed"),
    "DONE": _("done"),
    "QUEUED": _("queued"),
    "RUNNING": _("running"),
    "STOPPED": _("stopped"),
    "PENDING": _("pending"),
    "APPROVED": _("approved"),
    # Sides and position sides.
    "BUY": _("Buy"),
    "SELL": _("Sell"),
    "LONG": _("Long"),
    "SHORT": _("Short"),
    "BOTH": _("one-way"),
    # Order types and time in force.
    "LIMIT": _("Limit"),
    "MARKET": _("Market"),
    "STOP": _("Stop limit"),
    "STOP_MARKET": _("Stop market"),
    "TAKE_PROFIT": _("Take profit limit"),
    "TAKE_PROFIT_MARKET": _("Take profit market"),
    "TRAILING_STOP_MARKET": _("Trailing stop"),
    "GTC": _("good till canceled"),
    "IOC": _("immediate or cancel"),
    "FOK": _("fill or kill"),
    "GTX": _("post only"),
    # Exchange environments, stream and exchange states.
    "sim": _("stand-in"),
    "testnet": _("testnet"),
    "demo": _("demo"),
    "live": _("live"),
    "up": _("up"),
    "down": _("down"),
    "connecting": _("connecting"),
    "ok": _("ok"),
    "stale": _("stale"),
    "error": _("error"),
    "open": _("open"),
    "closed": _("closed"),
    "dry-run": _("dry run"),
    # Stream connections (the dashboard's stream health card).
    "market": _("market data"),
    "user": _("account events"),
    # Backtest metrics (strategy proposals' evidence table).
    "total_return_pct": _("Total return %"),
    "cagr_pct": _("Annual growth (CAGR) %"),
    "max_drawdown_pct": _("Max drawdown %"),
    "sharpe": _("Sharpe ratio"),
    "sortino": _("Sortino ratio"),
    "win_rate_pct": _("Win rate %"),
    "profit_factor": _("Profit factor"),
    "exposure_pct": _("Time in market %"),
    "trades": _("Trades"),
    # Why a backtest trade ended (strategies.engine).
    "stop_loss": _("stop loss hit"),
    "take_profit": _("take profit hit"),
    "signal": _("exit signal"),
    "end": _("end of the period"),
    # Where an entry's attached TP/SL stands (futures.models.AttachState).
    "attach:pending": _("placed when the entry fills"),
    "attach:placing": _("being placed"),
    "attach:placed": _("placed"),
    "attach:failed": _("could not be placed"),
    "attach:dropped": _("dropped: the entry ended unfilled"),
}


def label(code) -> str:
    """The label of code in the active language; an unknown code is shown as it is."""
    if code is None:
        return ""
    found = LABELS.get(str(code))
    return str(found) if found is not None else str(code)


def js_labels() -> dict[str, str]:
    """The whole table in the active language, for a page's JavaScript."""
    return {code: str(text) for code, text in LABELS.items()}
