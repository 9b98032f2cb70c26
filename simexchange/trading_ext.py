"""Trading calls beyond the single order: modify, amendment history, batches, dead-man switch.

Batch answers keep the request's order, each item the order or its own `{code, msg}`, as on
Binance; a refusal of the whole call (bad list, too many items) is an ordinary error.
"""

from __future__ import annotations

import json
from decimal import Decimal

from aiohttp import web

from simexchange.accounts import Account
from simexchange.amend import NO_SUCH_ORDER, PRICE_MATCHES, modify
from simexchange.core import Sim
from simexchange.errors import UNKNOWN_EXECUTION_MSG, BinanceError, malformed
from simexchange.rest import (
    Params,
    find_order,
    jsonr,
    order_headers,
    place_parsed,
    signed,
)

routes = web.RouteTableDef()
MAX_BATCH_ORDERS = 5
MAX_BATCH_CANCELS = 10


def _not_valid(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def _json_list(p: Params, name: str) -> list | None:
    raw = p.text(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise _not_valid(name) from exc
    if not isinstance(value, list):
        raise _not_valid(name)
    return value


def _as_text(value: object) -> str:
    """A JSON item value as the string form Binance reads (true/false for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _item_params(item: object, name: str) -> Params:
    if not isinstance(item, dict):
        raise _not_valid(name)
    return Params({str(k): _as_text(v) for k, v in item.items() if v is not None})


def modify_one(sim: Sim, acc: Account, p: Params) -> dict:
    """Parse one modify request (Binance's parameter rules) and apply it."""
    sym = p.symbol()
    side = p.choice("side", ("BUY", "SELL"), required=True, code=-1117)
    quantity = p.decimal("quantity", required=True)
    price_match = p.text("priceMatch")
    if price_match is not None and price_match not in PRICE_MATCHES + ("NONE",):
        raise BinanceError(-5037, "Invalid price match")
    if price_match not in (None, "NONE"):
        if p.text("price") is not None:
            raise BinanceError(-1106, "Parameter 'price' sent when not required.")
        price: Decimal | None = None
    else:
        price = p.decimal("price", required=True)
    reduce_only = p.boolean("reduceOnly")
    modify_id = p.integer("modifyId")
    order = find_order(acc, p, sym, NO_SUCH_ORDER)
    body = modify(
        sim.engine,
        sim.amendments,
        acc,
        order,
        side=side,
        quantity=quantity,
        price=price,
        price_match=price_match,
        reduce_only=reduce_only,
    )
    acc.order_times.append(sim.server_ms())
    if modify_id is not None:  # the caller's own tag, returned as sent and never checked
        body["modifyId"] = modify_id
    return body


@routes.put("/fapi/v1/order")
async def modify_order(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    body = modify_one(sim, acc, p)
    return jsonr(body, order_headers(sim, acc))


@routes.get("/fapi/v1/orderAmendment")
async def order_amendments(request: web.Request) -> web.Response:
    """The order's amendments, newest first (Binance keeps three months; we keep recent ones)."""
    sim, acc, p = await signed(request)
    sym = p.symbol()
    limit = p.integer("limit", default=50)
    if not 1 <= limit <= 100:
        raise malformed("limit")
    start, end = p.integer("startTime"), p.integer("endTime")
    order = find_order(acc, p, sym, NO_SUCH_ORDER)
    rows = [
        r
        for r in sim.amendments.of_order(order.order_id)
        if (start is None or r["time"] >= start) and (end is None or r["time"] <= end)
    ]
    return jsonr(list(reversed(rows))[:limit])


def _batch_items(p: Params) -> list[Params]:
    """The `batchOrders` JSON list of a place or modify batch: 1 to 5 objects, each as params."""
    items = _json_list(p, "batchOrders")
    if items is None:
        raise BinanceError(
            -1102, "Mandatory parameter 'batchOrders' was not sent, was empty/null, or malformed."
        )
    if not 1 <= len(items) <= MAX_BATCH_ORDERS:
        raise BinanceError(-4082, "Invalid number of batch place orders.")
    return [_item_params(item, "batchOrders") for item in items]


@routes.post("/fapi/v1/batchOrders")
async def batch_place(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    parsed = _batch_items(p)
    out: list[dict] = []
    for item in parsed:
        try:
            out.append(place_parsed(sim, acc, item))
        except BinanceError as exc:
            out.append(exc.body())
    headers = order_headers(sim, acc)
    if sim.faults.take_lost_response():
        raise BinanceError(-1000, UNKNOWN_EXECUTION_MSG, status=503, headers=headers)
    return jsonr(out, headers)


@routes.put("/fapi/v1/batchOrders")
async def batch_modify(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    parsed = _batch_items(p)
    out: list[dict] = []
    for item in parsed:
        try:
            out.append(modify_one(sim, acc, item))
        except BinanceError as exc:
            out.append(exc.body())
    return jsonr(out, order_headers(sim, acc))


@routes.delete("/fapi/v1/batchOrders")
async def batch_cancel(request: web.Request) -> web.Response:
    """orderIdList prevails over origClientOrderIdList when both are sent. Binance also takes
    the all-lowercase names python-binance sends (`orderidlist`, `origclientorderidlist`)."""
    sim, acc, p = await signed(request)
    sym = p.symbol()
    ids = _json_list(p, "orderIdList")
    if ids is None:
        ids = _json_list(p, "orderidlist")
    cids = None
    if ids is None:
        cids = _json_list(p, "origClientOrderIdList")
        if cids is None:
            cids = _json_list(p, "origclientorderidlist")
    if ids is None and cids is None:
        raise BinanceError(
            -1102,
            "Param 'orderIdList' or 'origClientOrderIdList' must be sent, but both were "
            "empty/null!",
        )
    wanted = ids if ids is not None else cids
    assert wanted is not None
    if ids is not None and not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise _not_valid("orderIdList")
    if cids is not None and not all(isinstance(c, str) for c in cids):
        raise _not_valid("origClientOrderIdList")
    if len(wanted) > MAX_BATCH_CANCELS:
        raise BinanceError(-4032, "Exceed maximum cancel order size.")
    out: list[dict] = []
    for ref in wanted:
        if ids is not None:
            order = acc.orders.get(ref)
        else:
            order = next((o for o in acc.open_orders(sym) if o.client_order_id == ref), None)
        if order is None or order.symbol != sym or not order.is_open:
            out.append({"code": -2011, "msg": "Unknown order sent."})
            continue
        out.append(sim.engine.cancel_order(acc, order))
    return jsonr(out, order_headers(sim, acc))


@routes.post("/fapi/v1/countdownCancelAll")
async def countdown_cancel_all(request: web.Request) -> web.Response:
    """Arm (or with 0 stop) the symbol's dead-man switch; see simexchange.countdown."""
    sim, acc, p = await signed(request)
    sym = p.symbol()
    raw = p.text("countdownTime", required=True)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise malformed("countdownTime")
    sim.countdowns.set(acc.api_key, sym, int(raw))
    return jsonr({"symbol": sym, "countdownTime": str(int(raw))})
