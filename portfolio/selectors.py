"""Reads shaped for the API and the page: a snapshot as the valued portfolio, and its history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from portfolio.connectors.base import LABELS
from portfolio.models import PortfolioSnapshot
from portfolio.valuation import share, usd
from spark_site.money import decimal_text, plain


def _age(fetched_at: str | None, now: datetime) -> float | None:
    at = parse_datetime(fetched_at) if fetched_at else None
    return None if at is None else round((now - at).total_seconds(), 3)


def error_text(code: str) -> str:
    """What a failed read means, in the page's language: the exchange's own message is English
    (or empty), so the page says the kind of failure and keeps the code beside it."""
    code = str(code or "")
    if code == "TIMEOUT":
        return _("The exchange did not answer in time.")
    if code == "CONNECTION":
        return _("Could not connect to the exchange.")
    if code in ("BAD_PAYLOAD", "NO_PAIR"):
        return _("The exchange's answer could not be read.")
    if code in ("401", "403", "-2014", "-2015", "-1022"):
        return _("The exchange refused the API key (check the key, its permissions and IP list).")
    if code in ("418", "429", "-1003"):
        return _("The exchange's request limit was reached; the next refresh tries again.")
    if code.isdigit() and code.startswith("5"):
        return _("The exchange had an error of its own.")
    return _("The exchange could not be read.")


def _error(exchange: str, error: dict | None) -> dict | None:
    """The stored error with the exchange's name and the failure in the page's language."""
    if not error:
        return None
    return {
        **error,
        "label": LABELS.get(exchange, exchange),
        "text": error_text(error.get("code", "")),
    }


def portfolio_view(snap: PortfolioSnapshot, *, now: datetime | None = None) -> dict:
    """The valued portfolio as JSON-ready data: every amount a string, shares as fractions."""
    now = now or timezone.now()
    total = snap.total_usd
    assets = list(snap.assets.all().order_by("exchange", "asset"))
    by_exchange: dict[str, list] = defaultdict(list)
    for a in assets:
        by_exchange[a.exchange].append(a)
    exchanges = []
    for exchange, state in snap.sources.items():
        rows = sorted(by_exchange.get(exchange, []), key=lambda a: (-(a.value_usd or 0), a.asset))
        value = Decimal(state.get("value_usd") or "0")
        exchanges.append(
            {
                "exchange": exchange,
                "label": LABELS.get(exchange, exchange),
                "status": state["status"],
                "stale": state["status"] != "ok",
                "fetched_at": state.get("fetched_at"),
                "age_seconds": _age(state.get("fetched_at"), now),
                "error": _error(exchange, state.get("error")),
                "unpriced": state.get("unpriced", []),  # held, but no USD route on this exchange
                "value_usd": plain(value),
                "share": plain(share(value, total)),
                "assets": [
                    {
                        "asset": a.asset,
                        "quantity": decimal_text(a.quantity),
                        "free": decimal_text(a.free),
                        "locked": decimal_text(a.locked),
                        "price_usd": decimal_text(a.price_usd),
                        "value_usd": plain(a.value_usd),
                        "share": plain(share(a.value_usd, total)),
                        "stale": a.stale,
                    }
                    for a in rows
                ],
            }
        )
    qty: dict[str, Decimal] = defaultdict(Decimal)
    val: dict[str, Decimal] = defaultdict(Decimal)
    for a in assets:
        qty[a.asset] += a.quantity
        val[a.asset] += a.value_usd or 0
    allocation = [
        {
            "asset": name,
            "quantity": decimal_text(qty[name]),
            "value_usd": plain(usd(val[name])),
            "share": plain(share(val[name], total)),
        }
        for name in sorted(qty, key=lambda n: (-val[n], n))
    ]
    return {
        "snapshot_id": snap.id,
        "as_of": snap.taken_at.isoformat(),
        "age_seconds": round((now - snap.taken_at).total_seconds(), 3),
        "total_usd": plain(total),
        "partial": snap.partial,
        "refresh_latency_ms": snap.latency_ms,
        "exchanges": exchanges,
        "allocation": allocation,
        "errors": [
            {"exchange": e, **_error(e, s["error"])}
            for e, s in snap.sources.items()
            if s.get("error")
        ],
    }


def with_try(view: dict, quote) -> dict:
    """The portfolio view with its total (and each exchange's) also in TRY, and the rate used.

    quote is a portfolio.fx.Quote; TRY amounts are None when no rate could be read.
    """
    total_try = quote.to_try(Decimal(view["total_usd"])) if view["total_usd"] else None
    for ex in view["exchanges"]:
        value = quote.to_try(Decimal(ex["value_usd"])) if ex["value_usd"] else None
        ex["value_try"] = plain(value)
    return {**view, "total_try": plain(total_try), "fx": quote.as_dict()}


def value_history(*, hours: int = 24 * 7, limit: int = 2000) -> list[tuple[datetime, Decimal]]:
    """(taken_at, total_usd) of stored snapshots in the last `hours`, oldest first."""
    since = timezone.now() - timedelta(hours=hours)
    rows = (
        PortfolioSnapshot.objects.filter(taken_at__gte=since)
        .order_by("-taken_at")
        .values_list("taken_at", "total_usd")[:limit]
    )
    return list(reversed(rows))
