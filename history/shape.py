"""History rows as JSON: amounts as plain decimal strings, times ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from futures.models import Fill, Order
from history.selectors import Page
from portfolio.fx import Quote
from risk.models import PNL_KINDS
from spark_site.money import decimal_text as fmt


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def order_out(o: Order) -> dict:
    """What a desk keeps of an order: no exchange answers, errors or risk internals."""
    return {
        "clientOrderId": o.client_order_id,
        "orderId": o.algo_id if o.is_algo else o.exchange_order_id,
        "algo": o.is_algo,
        "symbol": o.symbol,
        "side": o.side,
        "type": o.type,
        "status": o.status,
        "quantity": fmt(o.quantity),
        "price": fmt(o.price),
        "stopPrice": fmt(o.stop_price),
        "filledQty": fmt(o.filled_qty),
        "avgPrice": fmt(o.avg_price),
        "reduceOnly": o.reduce_only,
        "dryRun": o.dry_run,
        "environment": o.environment,
        "user": o.user.get_username() if o.user else None,
        "source": o.source,
        "createdAt": _iso(o.created_at),
        "updatedAt": _iso(o.updated_at),
    }


def fill_out(f: Fill) -> dict:
    return {
        "tradeId": f.trade_id,
        "clientOrderId": f.order.client_order_id,
        "symbol": f.order.symbol,
        "side": f.order.side,
        "price": fmt(f.price),
        "qty": fmt(f.qty),
        "quoteQty": fmt(f.price * f.qty),
        "commission": fmt(f.commission),
        "commissionAsset": f.commission_asset,
        "realizedPnl": fmt(f.realized_pnl),
        "maker": f.is_maker,
        "simulated": f.simulated,
        "tradedAt": _iso(f.traded_at),
    }


def page_out(page: Page, shape: Callable) -> dict:
    return {
        "count": page.count,
        "page": page.page,
        "pageSize": page.page_size,
        "pages": page.pages,
        "results": [shape(row) for row in page.rows],
    }


def _kinds(row: dict) -> dict:
    return {**{kind: fmt(row[kind]) for kind in PNL_KINDS}, "net": fmt(row["net"])}


def _try(values: dict[str, Decimal], quote: Quote) -> dict:
    return {name: fmt(quote.to_try(value)) for name, value in values.items()}


def pnl_out(group_by: str, rows: list[dict], totals: dict, quote: Quote) -> dict:
    key = "trading_day" if group_by == "day" else "symbol"
    out_key = "tradingDay" if group_by == "day" else "symbol"
    return {
        "groupBy": group_by,
        "kinds": list(PNL_KINDS),
        "rows": [
            {out_key: str(r[key]) if group_by == "symbol" else r[key].isoformat(), **_kinds(r)}
            for r in rows
        ],
        "totals": _kinds(totals),
        "totalsTry": _try({k: totals[k] for k in (*PNL_KINDS, "net")}, quote),
        "fx": quote.as_dict(),
    }


def funding_out(rows: list[dict], totals: dict, quote: Quote) -> dict:
    parts = ("paid", "received", "net")
    return {
        "rows": [
            {
                "tradingDay": r["trading_day"].isoformat(),
                "symbol": r["symbol"],
                **{p: fmt(r[p]) for p in parts},
            }
            for r in rows
        ],
        "totals": {p: fmt(totals[p]) for p in parts},
        "totalsTry": _try({p: totals[p] for p in parts}, quote),
        "fx": quote.as_dict(),
    }
