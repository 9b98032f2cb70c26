"""The USD-M Futures REST surface: same paths, parameters, field names and errors as Binance."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from aiohttp import web

from simexchange import brackets
from simexchange.accounts import D0, Account, AlgoOrder, money
from simexchange.auth import Request, api_key_of, verify_signed
from simexchange.core import SIM_KEY, Sim
from simexchange.errors import (
    UNKNOWN_EXECUTION_MSG,
    BinanceError,
    bad_symbol,
    illegal_chars,
    malformed,
    mandatory,
)
from simexchange.funding import INTEREST_RATE, rate_str
from simexchange.limits import order_counts
from simexchange.market import INTERVAL_MS, ONBOARD_MS, SYMBOLS, exchange_info
from simexchange.matching import ALGO_TYPES, CONDITIONAL_TYPES
from simexchange.streams import next_funding_ms

NUMBER_RE = re.compile(r"^\d{1,20}(\.\d{1,20})?$")
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
routes = web.RouteTableDef()


def jsonr(data: object, headers: dict | None = None) -> web.Response:
    return web.json_response(data, headers=headers)


class Params:
    """Typed readers over the merged parameters, raising Binance's -1102 family."""

    def __init__(self, params: dict[str, str]):
        self.p = params

    def text(self, name: str, required: bool = False) -> str | None:
        v = self.p.get(name)
        if v is None or v == "":
            if required:
                raise mandatory(name)
            return None
        return v

    def symbol(self, required: bool = True) -> str | None:
        v = self.text("symbol", required)
        if v is not None and v not in SYMBOLS:
            raise bad_symbol()
        return v

    def decimal(self, name: str, required: bool = False) -> Decimal | None:
        v = self.text(name, required)
        if v is None:
            return None
        if not NUMBER_RE.match(v):
            # Binance answers a non-numeric decimal with -1100 naming its legal pattern
            raise illegal_chars(name, DECIMAL_RANGE)
        try:
            return Decimal(v)
        except InvalidOperation as exc:
            raise malformed(name) from exc

    def integer(self, name: str, required: bool = False, default: int | None = None) -> int | None:
        v = self.text(name, required)
        if v is None:
            return default
        if not (v.isascii() and v.isdigit()) or len(v) > 19:
            raise malformed(name)
        return int(v)

    def boolean(self, name: str, default: bool = False, required: bool = False) -> bool:
        v = self.text(name, required)
        if v is None:
            return default
        if v.lower() not in ("true", "false"):
            raise malformed(name)
        return v.lower() == "true"

    def choice(self, name: str, values: tuple[str, ...], required: bool = False, code: int = -1102):
        v = self.text(name, required)
        if v is None:
            return None
        if v not in values:
            if code == -1102:
                raise malformed(name)
            raise BinanceError(code, f"Invalid {name}.")
        return v


async def signed(request: web.Request) -> tuple[Sim, Account, Params]:
    sim = request.app[SIM_KEY]
    req = await Request.read(request)
    key = verify_signed(request, req, sim.keys, sim.server_ms())
    return sim, sim.account(key), Params(req.params)


async def public(request: web.Request) -> tuple[Sim, Params]:
    req = await Request.read(request)
    return request.app[SIM_KEY], Params(req.params)


def order_headers(sim: Sim, acc: Account) -> dict[str, str]:
    ten, minute = order_counts(acc.order_times, sim.server_ms())
    return {"X-MBX-ORDER-COUNT-10S": str(ten), "X-MBX-ORDER-COUNT-1M": str(minute)}


# ---------------------------------------------------------------- market data


@routes.get("/fapi/v1/ping")
async def ping(request: web.Request) -> web.Response:
    return jsonr({})


@routes.get("/fapi/v1/time")
async def server_time(request: web.Request) -> web.Response:
    return jsonr({"serverTime": request.app[SIM_KEY].server_ms()})


@routes.get("/fapi/v1/exchangeInfo")
async def exchange_info_view(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    return jsonr(exchange_info(sim.server_ms(), sim.settings.weight_limit))


@routes.get("/fapi/v1/depth")
async def depth(request: web.Request) -> web.Response:
    sim, p = await public(request)
    return jsonr(depth_body(sim, p))


def depth_body(sim: Sim, p: Params) -> dict:
    """The order book answer (REST `depth` and the WebSocket API's `depth`)."""
    sym = p.symbol()
    limit = p.integer("limit", default=500)
    if limit not in DEPTH_LIMITS:
        raise malformed("limit")
    st = sim.markets[sym]
    bids, asks = st.book(limit)
    now = sim.server_ms()
    spec = st.spec
    return {
        "lastUpdateId": st.book_update_id,
        "E": now,
        "T": now,
        "bids": [[spec.fmt_price(px), spec.fmt_qty(q)] for px, q in bids],
        "asks": [[spec.fmt_price(px), spec.fmt_qty(q)] for px, q in asks],
    }


def for_symbols(sim: Sim, p: Params, one) -> dict | list:
    """One row for `symbol`, else a list over every symbol (Binance's ticker convention)."""
    sym = p.symbol(required=False)
    if sym:
        return one(sim.markets[sym])
    return [one(st) for st in sim.markets.values()]


def _for_symbols(sim: Sim, p: Params, one) -> web.Response:
    return jsonr(for_symbols(sim, p, one))


@routes.get("/fapi/v1/ticker/24hr")
async def ticker_24hr(request: web.Request) -> web.Response:
    sim, p = await public(request)

    def one(st):
        t = sim.market_hub.ticker(st)
        d = sim.market_hub.stats_24h(st)
        return {
            "symbol": t["s"],
            "priceChange": t["p"],
            "priceChangePercent": t["P"],
            "weightedAvgPrice": t["w"],
            "lastPrice": t["c"],
            "lastQty": t["Q"],
            "openPrice": t["o"],
            "highPrice": t["h"],
            "lowPrice": t["l"],
            "volume": t["v"],
            "quoteVolume": t["q"],
            "openTime": d["open_time"],
            "closeTime": d["close_time"],
            "firstId": t["F"],
            "lastId": t["L"],
            "count": t["n"],
        }

    return _for_symbols(sim, p, one)


@routes.get("/fapi/v1/ticker/price")
@routes.get("/fapi/v2/ticker/price")
async def ticker_price(request: web.Request) -> web.Response:
    sim, p = await public(request)
    return jsonr(ticker_price_body(sim, p))


def ticker_price_body(sim: Sim, p: Params) -> dict | list:
    now = sim.server_ms()
    return for_symbols(
        sim,
        p,
        lambda st: {"symbol": st.spec.symbol, "price": st.spec.fmt_price(st.last), "time": now},
    )


@routes.get("/fapi/v1/ticker/bookTicker")
async def book_ticker(request: web.Request) -> web.Response:
    sim, p = await public(request)
    return jsonr(book_ticker_body(sim, p))


def book_ticker_body(sim: Sim, p: Params) -> dict | list:
    now = sim.server_ms()

    def one(st):
        s = st.spec
        return {
            "symbol": s.symbol,
            "bidPrice": s.fmt_price(st.best_bid()),
            "bidQty": s.fmt_qty(st.level_qty(0)),
            "askPrice": s.fmt_price(st.best_ask()),
            "askQty": s.fmt_qty(st.level_qty(0)),
            "time": now,
            "lastUpdateId": st.book_update_id,
        }

    return for_symbols(sim, p, one)


@routes.get("/fapi/v1/premiumIndex")
async def premium_index(request: web.Request) -> web.Response:
    sim, p = await public(request)
    now = sim.server_ms()

    def one(st):
        s = st.spec
        return {
            "symbol": s.symbol,
            "markPrice": s.fmt_price(st.mark),
            "indexPrice": s.fmt_price(st.mark),
            "estimatedSettlePrice": s.fmt_price(st.mark),
            "lastFundingRate": rate_str(sim.funding.rate(s.symbol)),
            "interestRate": rate_str(INTEREST_RATE),
            "nextFundingTime": next_funding_ms(now),
            "time": now,
        }

    return _for_symbols(sim, p, one)


@routes.get("/fapi/v1/klines")
async def klines(request: web.Request) -> web.Response:
    sim, p = await public(request)
    return jsonr(kline_rows(sim, p, p.symbol()))


def kline_rows(sim: Sim, p: Params, sym: str) -> list[list]:
    """Trade klines of sym per interval/startTime/endTime/limit, Binance's rules and errors."""
    interval = p.text("interval", required=True)
    if interval not in INTERVAL_MS:
        raise BinanceError(-1120, "Invalid interval.")
    limit = p.integer("limit", default=500)
    if not 1 <= limit <= 1500:
        raise malformed("limit")
    ims = INTERVAL_MS[interval]
    now = sim.server_ms()
    start = p.integer("startTime")
    end = p.integer("endTime")
    if start is not None and end is not None and start > end:
        raise BinanceError(-1023, "Start time is greater than end time.")
    last_open = now - now % ims
    if end is not None:
        last_open = min(last_open, end - end % ims)
    if start is not None:
        # Binance starts at the bar holding the listing, not at 1970, for startTime=0
        start = max(start, ONBOARD_MS - ONBOARD_MS % ims)
        first = start + (-start) % ims
        opens = range(first, min(last_open, first + (limit - 1) * ims) + 1, ims)
    else:
        opens = range(max(0, last_open - (limit - 1) * ims), last_open + 1, ims)
    st = sim.markets[sym]
    return [st.kline(t, ims, now) for t in opens]


# ---------------------------------------------------------------- account


def _position_v3(sim: Sim, acc: Account, sym: str, side: str = "BOTH") -> dict:
    pos = acc.position(sym, side)
    mark = sim.markets[sym].mark
    spec = SYMBOLS[sym]
    orders = [o for o in acc.open_orders(sym) if o.position_side == side]
    order_im = sum((acc.order_margin(o, sim.engine.marks()) for o in orders), D0)
    bid = sum((o.remaining * o.price for o in orders if o.side == "BUY"), D0)
    ask = sum((o.remaining * o.price for o in orders if o.side == "SELL"), D0)
    im = pos.initial_margin(mark)
    return {
        "symbol": sym,
        "positionSide": side,
        "positionAmt": spec.fmt_qty(pos.amt),
        "entryPrice": money(pos.entry),
        "breakEvenPrice": money(pos.break_even()),
        "markPrice": spec.fmt_price(mark),
        "unRealizedProfit": money(pos.unrealized(mark)),
        "liquidationPrice": money(acc.liquidation_price(pos, sim.engine.marks())),
        "isolatedMargin": money(
            pos.isolated_wallet + pos.unrealized(mark) if pos.margin_type == "isolated" else D0
        ),
        "notional": money(pos.notional(mark)),
        "marginAsset": "USDT",
        "isolatedWallet": money(pos.isolated_wallet),
        "initialMargin": money(im + order_im),
        "maintMargin": money(pos.maint_margin(mark)),
        "positionInitialMargin": money(im),
        "openOrderInitialMargin": money(order_im),
        "adl": 1 if pos.amt else 0,
        "bidNotional": money(bid),
        "askNotional": money(ask),
        "updateTime": pos.update_time,
    }


def _position_v2(sim: Sim, acc: Account, sym: str, side: str = "BOTH") -> dict:
    pos = acc.position(sym, side)
    mark = sim.markets[sym].mark
    spec = SYMBOLS[sym]
    return {
        "entryPrice": money(pos.entry),
        "breakEvenPrice": money(pos.break_even()),
        "marginType": pos.margin_type,
        "isAutoAddMargin": "false",
        "isolatedMargin": money(
            pos.isolated_wallet + pos.unrealized(mark) if pos.margin_type == "isolated" else D0
        ),
        "leverage": str(pos.leverage),
        "liquidationPrice": money(acc.liquidation_price(pos, sim.engine.marks())),
        "markPrice": spec.fmt_price(mark),
        "maxNotionalValue": f"{brackets.max_notional(pos.symbol, pos.leverage):f}",
        "positionAmt": spec.fmt_qty(pos.amt),
        "notional": money(pos.notional(mark)),
        "isolatedWallet": money(pos.isolated_wallet),
        "symbol": sym,
        "unRealizedProfit": money(pos.unrealized(mark)),
        "positionSide": side,
        "updateTime": pos.update_time,
    }


def _active_symbols(acc: Account) -> list[str]:
    return [
        s
        for s in SYMBOLS
        if any(p.amt for p in acc.symbol_positions(s)) or acc.open_orders(s) or acc.open_algos(s)
    ]


def account_body(sim: Sim, acc: Account, version: int) -> dict:
    marks = sim.engine.marks()
    s = acc.summary(marks)
    totals = {
        "totalInitialMargin": money(s["initial"]),
        "totalMaintMargin": money(s["maint"]),
        "totalWalletBalance": money(s["wallet"]),
        "totalUnrealizedProfit": money(s["unpnl"]),
        "totalMarginBalance": money(s["margin_balance"]),
        "totalPositionInitialMargin": money(s["position_im"]),
        "totalOpenOrderInitialMargin": money(s["order_im"]),
        "totalCrossWalletBalance": money(s["cross_wallet"]),
        "totalCrossUnPnl": money(s["cross_unpnl"]),
        "availableBalance": money(s["available"]),
        "maxWithdrawAmount": money(s["max_withdraw"]),
    }
    asset = {
        "asset": "USDT",
        "walletBalance": money(s["wallet"]),
        "unrealizedProfit": money(s["unpnl"]),
        "marginBalance": money(s["margin_balance"]),
        "maintMargin": money(s["maint"]),
        "initialMargin": money(s["initial"]),
        "positionInitialMargin": money(s["position_im"]),
        "openOrderInitialMargin": money(s["order_im"]),
        "crossWalletBalance": money(s["cross_wallet"]),
        "crossUnPnl": money(s["cross_unpnl"]),
        "availableBalance": money(s["available"]),
        "maxWithdrawAmount": money(s["max_withdraw"]),
        "updateTime": acc.update_time,
    }
    if version == 3:
        positions = []
        for sym, side in ((s, side) for s in _active_symbols(acc) for side in acc.sides):
            full = _position_v3(sim, acc, sym, side)
            keys = [
                "symbol",
                "positionSide",
                "positionAmt",
                "unrealizedProfit",
                "isolatedMargin",
                "notional",
                "isolatedWallet",
                "initialMargin",
                "maintMargin",
                "updateTime",
            ]
            full["unrealizedProfit"] = full["unRealizedProfit"]
            positions.append({k: full[k] for k in keys})
        return {**totals, "assets": [asset], "positions": positions}
    positions = []
    for sym, side in ((s, side) for s in SYMBOLS for side in acc.sides):
        full = _position_v3(sim, acc, sym, side)
        pos = acc.position(sym, side)
        positions.append(
            {
                "symbol": sym,
                "initialMargin": full["initialMargin"],
                "maintMargin": full["maintMargin"],
                "unrealizedProfit": full["unRealizedProfit"],
                "positionInitialMargin": full["positionInitialMargin"],
                "openOrderInitialMargin": full["openOrderInitialMargin"],
                "leverage": str(pos.leverage),
                "isolated": pos.margin_type == "isolated",
                "entryPrice": full["entryPrice"],
                "breakEvenPrice": full["breakEvenPrice"],
                "maxNotional": f"{brackets.max_notional(pos.symbol, pos.leverage):f}",
                "bidNotional": full["bidNotional"],
                "askNotional": full["askNotional"],
                "positionSide": side,
                "positionAmt": full["positionAmt"],
                "updateTime": pos.update_time,
            }
        )
    asset["marginAvailable"] = True
    return {
        "feeTier": 0,
        "feeBurn": False,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,  # Binance's v2 account answers 0 here; the asset rows carry the time
        "multiAssetsMargin": acc.multi_assets,
        "tradeGroupId": -1,
        **totals,
        "assets": [asset],
        "positions": positions,
    }


@routes.get("/fapi/v2/account")
async def account_v2(request: web.Request) -> web.Response:
    sim, acc, _ = await signed(request)
    return jsonr(account_body(sim, acc, 2))


@routes.get("/fapi/v3/account")
async def account_v3(request: web.Request) -> web.Response:
    sim, acc, _ = await signed(request)
    return jsonr(account_body(sim, acc, 3))


@routes.get("/fapi/v2/balance")
@routes.get("/fapi/v3/balance")
async def balance(request: web.Request) -> web.Response:
    sim, acc, _ = await signed(request)
    return jsonr(balance_rows(sim, acc))


def balance_rows(sim: Sim, acc: Account) -> list[dict]:
    """The futures balance rows (REST v2/v3 `balance`, WebSocket `account.balance`)."""
    s = acc.summary(sim.engine.marks())
    return [
        {
            "accountAlias": "SgsR",
            "asset": "USDT",
            "balance": money(s["wallet"]),
            "crossWalletBalance": money(s["cross_wallet"]),
            "crossUnPnl": money(s["cross_unpnl"]),
            "availableBalance": money(s["available"]),
            "maxWithdrawAmount": money(s["max_withdraw"]),
            "marginAvailable": True,
            "updateTime": acc.update_time,
        }
    ]


def position_rows(sim: Sim, acc: Account, p: Params, version: int) -> list[dict]:
    """positionRisk v2 (every symbol) or v3 (active symbols only), optionally one symbol."""
    sym = p.symbol(required=False)
    if version == 2:
        syms = [sym] if sym else SYMBOLS
        return [_position_v2(sim, acc, s, side) for s in syms for side in acc.sides]
    syms = [s for s in _active_symbols(acc) if not sym or s == sym]
    return [_position_v3(sim, acc, s, side) for s in syms for side in acc.sides]


@routes.get("/fapi/v2/positionRisk")
async def position_risk_v2(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    return jsonr(position_rows(sim, acc, p, 2))


@routes.get("/fapi/v3/positionRisk")
async def position_risk_v3(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    return jsonr(position_rows(sim, acc, p, 3))


@routes.get("/fapi/v1/symbolConfig")
async def symbol_config(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol(required=False)
    out = []
    for s in [sym] if sym else SYMBOLS:
        pos = acc.position(s)
        out.append(
            {
                "symbol": s,
                "marginType": "ISOLATED" if pos.margin_type == "isolated" else "CROSSED",
                "isAutoAddMargin": False,
                "leverage": pos.leverage,
                "maxNotionalValue": f"{brackets.max_notional(pos.symbol, pos.leverage):f}",
            }
        )
    return jsonr(out)


@routes.get("/fapi/v1/accountConfig")
async def account_config(request: web.Request) -> web.Response:
    sim, acc, _ = await signed(request)
    return jsonr(
        {
            "feeTier": 0,
            "canTrade": True,
            "canDeposit": True,
            "canWithdraw": True,
            "dualSidePosition": acc.dual_side,
            "updateTime": acc.update_time,
            "multiAssetsMargin": acc.multi_assets,
            "tradeGroupId": -1,
        }
    )


@routes.post("/fapi/v1/leverage")
async def leverage(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol()
    lev_raw = p.text("leverage", required=True)
    if not (lev_raw.isascii() and lev_raw.isdigit()) or len(lev_raw) > 4:
        raise BinanceError(-4028, f"Leverage {lev_raw} is not valid")
    return jsonr(sim.engine.set_leverage(acc, sym, int(lev_raw)))


@routes.post("/fapi/v1/marginType")
async def margin_type(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol()
    mt = p.text("marginType", required=True).upper()
    if mt not in ("ISOLATED", "CROSSED", "CROSS"):
        raise malformed("marginType")
    sim.engine.set_margin_type(acc, sym, "ISOLATED" if mt == "ISOLATED" else "CROSSED")
    return jsonr({"code": 200, "msg": "success"})


@routes.get("/fapi/v1/userTrades")
async def user_trades(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol()
    limit = p.integer("limit", default=500)
    if not 1 <= limit <= 1000:
        raise malformed("limit")
    order_id = p.integer("orderId")
    from_id = p.integer("fromId")
    start, end = p.integer("startTime"), p.integer("endTime")
    rows = [t for t in acc.trades if t["symbol"] == sym]
    if order_id is not None:
        rows = [t for t in rows if t["orderId"] == order_id]
    if from_id is not None:
        rows = [t for t in rows if t["id"] >= from_id][:limit]
    if start is not None:
        rows = [t for t in rows if t["time"] >= start]
    if end is not None:
        rows = [t for t in rows if t["time"] <= end]
    rows = rows[-limit:] if from_id is None else rows
    return jsonr([t | {"marginAsset": "USDT"} for t in rows])


# ---------------------------------------------------------------- orders


def find_order(acc: Account, p: Params, sym: str, code: tuple[int, str]):
    oid = p.integer("orderId")
    cid = p.text("origClientOrderId")
    if oid is None and cid is None:
        raise BinanceError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    order = None
    if oid is not None:
        order = acc.orders.get(oid)
    else:
        for o in acc.orders.values():
            if o.client_order_id == cid:
                order = o
    if order is None or order.symbol != sym:
        raise BinanceError(*code)
    return order


def _parse_new_order(p: Params, acc: Account) -> dict:
    sym = p.symbol()
    side = p.choice("side", ("BUY", "SELL"), required=True, code=-1117)
    type_ = p.text("type", required=True)
    if type_ in ALGO_TYPES:
        raise BinanceError(
            -4120,
            "Order type not supported for this endpoint. Please use the Algo Order API "
            "endpoints instead.",
        )
    if type_ not in ("LIMIT", "MARKET"):
        raise BinanceError(-1116, "Invalid orderType.")
    from simexchange.hedge import order_position_side  # noqa: PLC0415 (hedge imports rest)

    position_side = order_position_side(acc, p)
    qty = p.decimal("quantity", required=True)
    price = tif = None
    if type_ == "LIMIT":
        tif = p.choice("timeInForce", ("GTC", "IOC", "FOK", "GTX"), required=True, code=-1115)
        price = p.decimal("price", required=True)
    else:
        if p.text("price") is not None:
            raise BinanceError(-1106, "Parameter 'price' sent when not required.")
        if p.text("timeInForce") is not None:
            raise BinanceError(-1106, "Parameter 'timeInForce' sent when not required.")
    resp = p.choice("newOrderRespType", ("ACK", "RESULT")) or "ACK"
    return {
        "symbol": sym,
        "side": side,
        "type_": type_,
        "quantity": qty,
        "price": price,
        "time_in_force": tif,
        "reduce_only": p.boolean("reduceOnly"),
        "client_order_id": p.text("newClientOrderId"),
        "resp_type": resp,
        "position_side": position_side,
    }


def place_parsed(sim: Sim, acc: Account, p: Params) -> dict:
    """Parse and place one new order and count it (one order, or one item of a batch)."""
    _, body = sim.engine.place_order(acc, **_parse_new_order(p, acc))
    sim.counters["orders"] += 1
    return body


def place_order_from(sim: Sim, acc: Account, p: Params) -> dict:
    """Place one new order; REST and the WebSocket API both come through here."""
    body = place_parsed(sim, acc, p)
    if sim.faults.take_lost_response():
        headers = order_headers(sim, acc)
        raise BinanceError(-1000, UNKNOWN_EXECUTION_MSG, status=503, headers=headers)
    return body


@routes.post("/fapi/v1/order")
async def new_order(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    body = place_order_from(sim, acc, p)
    return jsonr(body, order_headers(sim, acc))


@routes.post("/fapi/v1/order/test")
async def test_order(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sim.engine.place_order(acc, **_parse_new_order(p, acc), validate_only=True)
    return jsonr({})


def query_order_from(acc: Account, p: Params) -> dict:
    order = find_order(acc, p, p.symbol(), (-2013, "Order does not exist."))
    return order.to_api(with_time=True)


@routes.get("/fapi/v1/order")
async def query_order(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    return jsonr(query_order_from(acc, p))


@routes.get("/fapi/v1/openOrder")
async def query_open_order(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol()
    order = find_order(acc, p, sym, (-2013, "Order does not exist."))
    if not order.is_open:
        raise BinanceError(-2013, "Order does not exist.")
    return jsonr(order.to_api(with_time=True))


def cancel_order_from(sim: Sim, acc: Account, p: Params) -> dict:
    order = find_order(acc, p, p.symbol(), (-2011, "Unknown order sent."))
    return sim.engine.cancel_order(acc, order)


@routes.delete("/fapi/v1/order")
async def cancel_order(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    return jsonr(cancel_order_from(sim, acc, p), order_headers(sim, acc))


@routes.delete("/fapi/v1/allOpenOrders")
async def cancel_all(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sim.engine.cancel_all(acc, p.symbol())
    return jsonr({"code": 200, "msg": "The operation of cancel all open order is done."})


@routes.get("/fapi/v1/openOrders")
async def open_orders(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol(required=False)
    return jsonr([o.to_api(with_time=True) for o in acc.open_orders(sym)])


@routes.get("/fapi/v1/allOrders")
async def all_orders(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol()
    limit = p.integer("limit", default=500)
    if not 1 <= limit <= 1000:
        raise malformed("limit")
    rows = [o.to_api(with_time=True) for o in acc.orders.values() if o.symbol == sym]
    return jsonr(rows[-limit:])


# ---------------------------------------------------------------- algo orders


@routes.post("/fapi/v1/algoOrder")
async def new_algo(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    body = place_algo_from(sim, acc, p)
    return jsonr(body, order_headers(sim, acc))


def place_algo_from(sim: Sim, acc: Account, p: Params) -> dict:
    """Parse and place one conditional order (REST `algoOrder`, WebSocket `algoOrder.place`)."""
    if p.text("algoType", required=True) != "CONDITIONAL":
        raise malformed("algoType")
    sym = p.symbol()
    side = p.choice("side", ("BUY", "SELL"), required=True, code=-1117)
    type_ = p.text("type", required=True)
    if type_ not in ALGO_TYPES:
        raise BinanceError(-1116, "Invalid orderType.")
    from simexchange.hedge import (  # noqa: PLC0415 (hedge imports rest)
        check_close_position,
        order_position_side,
    )

    position_side = order_position_side(acc, p)
    spec = SYMBOLS[sym]
    close_position = p.boolean("closePosition")
    reduce_only = p.boolean("reduceOnly")
    if close_position:
        # Binance's rules for Close-All: the two market types only, the whole position (so no
        # quantity) and reduce-only by nature (so the flag itself is refused)
        if type_ not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise BinanceError(
                -4136, f"Target strategy invalid for orderType {type_},closePosition true"
            )
        if p.decimal("quantity"):
            raise BinanceError(-4137, "Quantity must be zero with closePosition equals true")
        if p.text("reduceOnly") is not None:  # the parameter itself, even "false"
            raise BinanceError(-1106, "Parameter 'reduceonly' sent when not required.")
        check_close_position(position_side, side, type_)
    qty = None if close_position else p.decimal("quantity", required=True)
    from simexchange.matching import check_price, check_qty, decimals_of  # noqa: PLC0415

    if qty is not None:
        check_qty(spec, qty, market=type_ != "STOP" and type_ != "TAKE_PROFIT")
    working = p.text("workingType") or "CONTRACT_PRICE"
    if working not in ("MARK_PRICE", "CONTRACT_PRICE"):
        raise BinanceError(-4031, f"Invalid parameter working type: {working}")
    price = D0
    tif = p.choice("timeInForce", ("GTC", "IOC", "FOK", "GTX"), code=-1115) or "GTC"
    trigger = D0
    activate = callback = D0
    if type_ == "TRAILING_STOP_MARKET":
        callback = p.decimal("callbackRate", required=True)
        # 0.1 to 10 (%), in steps of 0.1 as users of the live API report (0.68 is refused)
        if not Decimal("0.1") <= callback <= Decimal("10") or decimals_of(callback) > 1:
            raise BinanceError(-2007, "Invalid callBack rate.")
        activate = p.decimal("activatePrice") or D0
        if activate:
            check_price(spec, activate)
    else:
        trigger = p.decimal("triggerPrice", required=True)
        check_price(spec, trigger)
    if type_ in CONDITIONAL_TYPES and type_ in ("STOP", "TAKE_PROFIT"):
        price = p.decimal("price", required=True)
        check_price(spec, price)
    if qty is not None and not reduce_only:
        ref = price or trigger or sim.markets[sym].mark
        if qty * ref < spec.min_notional:
            raise BinanceError(
                -4164,
                f"Order's notional must be no smaller than {spec.min_notional} "
                "(unless you choose reduce only).",
            )
    now = sim.server_ms()
    algo_id = sim.engine.next_algo_id
    sim.engine.next_algo_id += 1
    algo = AlgoOrder(
        algo_id=algo_id,
        client_algo_id=p.text("clientAlgoId") or f"simalgo_{algo_id}",
        symbol=sym,
        side=side,
        order_type=type_,
        quantity=qty or D0,
        trigger_price=trigger,
        price=price,
        time_in_force=tif,
        working_type=working,
        create_time=now,
        update_time=now,
        close_position=close_position,
        reduce_only=reduce_only,
        price_protect=p.boolean("priceProtect"),
        activate_price=activate,
        callback_rate=callback,
        position_side=position_side,
    )
    body = sim.engine.place_algo(acc, algo)
    sim.counters["orders"] += 1
    if sim.faults.take_lost_response():
        headers = order_headers(sim, acc)
        raise BinanceError(-1000, UNKNOWN_EXECUTION_MSG, status=503, headers=headers)
    return body


def _find_algo(acc: Account, p: Params, code: tuple[int, str]) -> AlgoOrder:
    aid = p.integer("algoId")
    cid = p.text("clientAlgoId")
    if aid is None and cid is None:
        raise BinanceError(
            -1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!"
        )
    if aid is not None:
        algo = acc.algo_orders.get(aid)
    else:
        algo = next((a for a in acc.algo_orders.values() if a.client_algo_id == cid), None)
    if algo is None:
        raise BinanceError(*code)
    return algo


@routes.get("/fapi/v1/algoOrder")
async def query_algo(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    return jsonr(_find_algo(acc, p, (-2013, "Order does not exist.")).to_api())


def cancel_algo_from(sim: Sim, acc: Account, p: Params) -> dict:
    algo = _find_algo(acc, p, (-2011, "Unknown order sent."))
    sim.engine.cancel_algo(acc, algo)
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "code": "200",
        "msg": "success",
    }


@routes.delete("/fapi/v1/algoOrder")
async def cancel_algo(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    return jsonr(cancel_algo_from(sim, acc, p))


@routes.get("/fapi/v1/openAlgoOrders")
async def open_algos(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol(required=False)
    return jsonr([a.to_api() for a in acc.open_algos(sym)])


@routes.get("/fapi/v1/allAlgoOrders")
async def all_algos(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol(required=False)
    return jsonr([a.to_api() for a in acc.algo_orders.values() if not sym or a.symbol == sym])


@routes.delete("/fapi/v1/algoOpenOrders")
async def cancel_all_algos(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    sym = p.symbol()
    for algo in acc.open_algos(sym):
        sim.engine.cancel_algo(acc, algo)
    return jsonr({"code": 200, "msg": "The operation of cancel all open order is done."})


# ---------------------------------------------------------------- listen key


async def _user_stream(request: web.Request) -> tuple[Sim, str, Params]:
    sim = request.app[SIM_KEY]
    req = await Request.read(request)
    return sim, api_key_of(request, sim.keys), Params(req.params)


@routes.post("/fapi/v1/listenKey")
async def listen_key_new(request: web.Request) -> web.Response:
    sim, key, _ = await _user_stream(request)
    return jsonr({"listenKey": sim.users.create(key)})


@routes.put("/fapi/v1/listenKey")
async def listen_key_keepalive(request: web.Request) -> web.Response:
    sim, key, p = await _user_stream(request)
    return jsonr({"listenKey": sim.users.keepalive(key, p.text("listenKey"))})


@routes.delete("/fapi/v1/listenKey")
async def listen_key_close(request: web.Request) -> web.Response:
    sim, key, p = await _user_stream(request)
    sim.users.close_key(key, p.text("listenKey"))
    return jsonr({})
