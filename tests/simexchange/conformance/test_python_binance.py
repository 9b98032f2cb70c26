"""python-binance: `Client` (testnet mode, URLs overridden) and `BinanceSocketManager` streams."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from binance.async_client import AsyncClient
from binance.client import Client
from binance.exceptions import BinanceAPIException
from binance.ws.streams import BinanceSocketManager
from binance.ws.websocket_api import WebsocketAPI

from .conftest import KEYS, held

KEY, SECRET = KEYS["python-binance"]
S = "BTCUSDT"


def point_at(client, base_url: str):
    """The testnet REST roots of the client, moved to the stand-in."""
    client.FUTURES_TESTNET_URL = base_url + "/fapi"
    client.FUTURES_DATA_TESTNET_URL = base_url + "/futures/data"
    client.API_TESTNET_URL = base_url + "/api"
    return client


@pytest.fixture(scope="module")
def pb(sim) -> Client:
    return point_at(Client(KEY, SECRET, testnet=True, ping=False), sim.base_url)


@pytest.fixture
def flat(sim, pb):
    pb.futures_cancel_all_open_orders(symbol=S)
    pb.futures_cancel_all_open_orders(symbol=S, conditional=True)  # the algo (stop) orders
    amt = held(sim, KEY, S)
    if amt:
        side = "SELL" if amt > 0 else "BUY"
        pb.futures_create_order(
            symbol=S, side=side, type="MARKET", quantity=str(abs(amt)), reduceOnly="true"
        )
    pb.futures_change_leverage(symbol=S, leverage=20)
    sim.control.set_price(S, "60000")
    return pb


def test_market_data(pb):
    assert pb.futures_ping() == {}
    assert abs(pb.futures_time()["serverTime"] - time.time() * 1000) < 60_000
    symbols = {s["symbol"] for s in pb.futures_exchange_info()["symbols"]}
    assert symbols >= {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"}
    book = pb.futures_order_book(symbol=S, limit=5)
    assert book["bids"][0] == ["59999.90", "0.500"] and len(book["asks"]) == 5
    bars = pb.futures_klines(symbol=S, interval="1m", limit=3)
    assert len(bars) == 3 and bars[-1][4] == "60000.00"
    hist = pb.futures_historical_klines(S, "1h", "1 day ago UTC")
    assert 23 <= len(hist) <= 25 and all(Decimal(b[2]) >= Decimal(b[3]) for b in hist)
    assert pb.futures_mark_price(symbol=S)["markPrice"] == "60000.00"
    assert pb.futures_ticker(symbol=S)["lastPrice"] == "60000.00"
    assert pb.futures_symbol_ticker(symbol=S)["price"] == "60000.00"
    assert pb.futures_orderbook_ticker(symbol=S)["bidPrice"] == "59999.90"
    assert Decimal(pb.futures_open_interest(symbol=S)["openInterest"]) >= 0


def test_account_and_settings(flat):
    (usdt,) = flat.futures_account_balance()
    assert usdt["asset"] == "USDT" and usdt["balance"] == "10000.00000000"
    assert flat.futures_account()["totalWalletBalance"] == "10000.00000000"
    assert flat.futures_change_leverage(symbol=S, leverage=8)["leverage"] == 8
    assert flat.futures_change_margin_type(symbol="ETHUSDT", marginType="ISOLATED")["code"] == 200
    assert flat.futures_get_position_mode() == {"dualSidePosition": False}
    assert flat.futures_get_multi_assets_mode() == {"multiAssetsMargin": False}
    brackets = flat.futures_leverage_bracket(symbol=S)
    assert brackets["brackets"][0]["initialLeverage"] == 125
    assert flat.futures_api_trading_status()["indicators"] == {}
    assert len(flat.futures_stream_get_listen_key()) == 64


def test_order_lifecycle_and_fill(flat):
    o = flat.futures_create_order(
        symbol=S, side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.01, price=59000
    )
    assert (o["status"], o["price"]) == ("NEW", "59000.00")
    assert [x["orderId"] for x in flat.futures_get_open_orders(symbol=S)] == [o["orderId"]]
    assert flat.futures_get_order(symbol=S, orderId=o["orderId"])["origQty"] == "0.010"
    assert flat.futures_cancel_order(symbol=S, orderId=o["orderId"])["status"] == "CANCELED"
    assert any(x["orderId"] == o["orderId"] for x in flat.futures_get_all_orders(symbol=S))
    m = flat.futures_create_order(
        symbol=S, side="BUY", type="MARKET", quantity=0.01, newOrderRespType="RESULT"
    )
    assert (m["status"], m["executedQty"]) == ("FILLED", "0.010")
    mine = [t for t in flat.futures_account_trades(symbol=S) if t["orderId"] == m["orderId"]]
    assert [(t["price"], t["qty"]) for t in mine] == [("60000.00", "0.010")]
    (pos,) = flat.futures_position_information(symbol=S)
    assert (pos["positionAmt"], pos["entryPrice"]) == ("0.010", "60000.00000000")
    # python-binance sends STOP_MARKET through the algo endpoint itself
    stop = flat.futures_create_order(
        symbol=S, side="SELL", type="STOP_MARKET", stopPrice=55000, quantity=0.01, reduceOnly=True
    )
    assert stop["orderType"] == "STOP_MARKET" and stop["algoStatus"] == "NEW"
    assert [r["symbol"] for r in flat.futures_adl_quantile_estimate(symbol=S)] == [S]


def test_errors_raise_binance_api_exception(flat):
    with pytest.raises(BinanceAPIException) as exc:
        flat.futures_create_order(symbol=S, side="BUY", type="MARKET", quantity=100)
    assert exc.value.code == -2019
    with pytest.raises(BinanceAPIException) as exc:
        flat.futures_get_order(symbol=S, orderId=1)
    assert exc.value.code == -2013


async def test_socket_manager_streams(sim, flat):
    client = point_at(AsyncClient(KEY, SECRET, testnet=True), sim.base_url)
    bm = BinanceSocketManager(client)
    bm.FSTREAM_TESTNET_URL = sim.ws_url + "/"
    try:
        async with bm.kline_futures_socket(S) as s:  # a perpetual continuous kline
            m = await asyncio.wait_for(s.recv(), 10)
        assert (m["e"], m["ps"], m["k"]["c"]) == ("continuous_kline", S, "60000.00")
        async with bm.symbol_mark_price_socket(S) as s:
            m = await asyncio.wait_for(s.recv(), 10)
        assert m["stream"] == "btcusdt@markPrice@1s"  # a combined socket
        assert (m["data"]["e"], m["data"]["p"]) == ("markPriceUpdate", "60000.00")
        async with bm.futures_multiplex_socket(["btcusdt@ticker", "ethusdt@ticker"]) as s:
            seen = {}
            while len(seen) < 2:
                m = await asyncio.wait_for(s.recv(), 10)
                seen[m["stream"]] = m["data"]["c"]
        assert seen == {"btcusdt@ticker": "60000.00", "ethusdt@ticker": "3000.00"}
        async with bm.futures_user_socket() as s:
            await asyncio.sleep(0.5)
            await client.futures_create_order(symbol=S, side="BUY", type="MARKET", quantity=0.01)
            while True:
                m = await asyncio.wait_for(s.recv(), 10)
                data = m.get("data", m)
                if data.get("e") == "ORDER_TRADE_UPDATE" and data["o"]["X"] == "FILLED":
                    break
        assert data["o"]["L"] == "60000.00" and data["o"]["z"] == "0.010"
    finally:
        await client.close_connection()


def test_modify_batch_and_countdown(flat):
    o = flat.futures_create_order(
        symbol=S, side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.01, price=59000
    )
    mod = flat.futures_modify_order(
        symbol=S, side="BUY", quantity=0.02, price=58500, orderId=o["orderId"]
    )
    assert (mod["orderId"], mod["price"], mod["origQty"]) == (o["orderId"], "58500.00", "0.020")
    got = flat.futures_get_order(symbol=S, orderId=o["orderId"])
    assert (got["price"], got["origQty"], got["status"]) == ("58500.00", "0.020", "NEW")
    batch = flat.futures_place_batch_order(
        batchOrders=[
            {
                "symbol": S,
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": str(p),
                "newClientOrderId": f"pb-{p}",
            }
            for p in (57000, 57100, 57200)
        ]
    )
    assert [(b["clientOrderId"], b["price"], b["status"]) for b in batch] == [
        (f"pb-{p}", f"{p}.00", "NEW") for p in (57000, 57100, 57200)
    ]
    ids = sorted(x["orderId"] for x in flat.futures_get_open_orders(symbol=S))
    assert ids == sorted([o["orderId"], *(b["orderId"] for b in batch)])
    cancelled = flat.futures_cancel_orders(symbol=S, orderidlist=[b["orderId"] for b in batch[:2]])
    assert [(c["orderId"], c["status"]) for c in cancelled] == [
        (b["orderId"], "CANCELED") for b in batch[:2]
    ]
    answer = flat.futures_countdown_cancel_all(symbol=S, countdownTime=120_000)
    assert answer == {"symbol": S, "countdownTime": "120000"}
    stop = flat.futures_countdown_cancel_all(symbol=S, countdownTime=0)
    assert stop == {"symbol": S, "countdownTime": "0"}
    assert sorted(x["orderId"] for x in flat.futures_get_open_orders(symbol=S)) == sorted(
        [o["orderId"], batch[2]["orderId"]]
    )


def test_public_trades_and_futures_data(flat):
    flat.futures_create_order(symbol=S, side="SELL", type="MARKET", quantity=0.01)
    recent = flat.futures_recent_trades(symbol=S, limit=5)
    assert all(t["id"] > 0 and Decimal(t["price"]) > 0 for t in recent)
    assert (recent[-1]["price"], recent[-1]["qty"], recent[-1]["isBuyerMaker"]) == (
        "59999.90",
        "0.010",
        True,
    )
    older = flat.futures_historical_trades(symbol=S, limit=2, fromId=recent[0]["id"])
    assert older[0]["id"] == recent[0]["id"]
    agg = flat.futures_aggregate_trades(symbol=S, limit=5)
    assert agg[-1]["p"] == "59999.90" and agg[-1]["m"] is True
    oi = flat.futures_open_interest_hist(symbol=S, period="5m", limit=3)
    assert len(oi) == 3 and all(Decimal(r["sumOpenInterest"]) >= 0 for r in oi)
    assert {"sumOpenInterestValue", "timestamp"} <= set(oi[0])
    for call in (
        flat.futures_global_longshort_ratio,
        flat.futures_top_longshort_account_ratio,
        flat.futures_top_longshort_position_ratio,
    ):
        (r,) = call(symbol=S, period="5m", limit=1)
        assert Decimal(r["longAccount"]) + Decimal(r["shortAccount"]) == 1
    (taker,) = flat.futures_taker_longshort_ratio(symbol=S, period="5m", limit=1)
    assert Decimal(taker["buySellRatio"]) >= 0 and {"buyVol", "sellVol"} <= set(taker)


def test_hedge_mode_with_python_binances_own_calls(flat):
    assert flat.futures_change_position_mode(dualSidePosition="true")["code"] == 200
    try:
        assert flat.futures_get_position_mode() == {"dualSidePosition": True}
        o = flat.futures_create_order(
            symbol=S, side="SELL", positionSide="SHORT", type="MARKET", quantity=0.01
        )
        assert o["positionSide"] == "SHORT"
        sides = {
            p["positionSide"]: Decimal(p["positionAmt"])
            for p in flat.futures_position_information(symbol=S)
        }
        assert sides == {"LONG": 0, "SHORT": Decimal("-0.01")}
        with pytest.raises(BinanceAPIException) as exc:  # a position blocks the switch back
            flat.futures_change_position_mode(dualSidePosition="false")
        assert exc.value.code == -4068
    finally:  # one-way again for the next test: close what is open, then switch
        for p in flat.futures_position_information(symbol=S):
            if Decimal(p["positionAmt"]):
                flat.futures_create_order(
                    symbol=S,
                    side="SELL" if p["positionSide"] == "LONG" else "BUY",
                    positionSide=p["positionSide"],
                    type="MARKET",
                    quantity=str(abs(Decimal(p["positionAmt"]))),
                )
        assert flat.futures_change_position_mode(dualSidePosition="false")["code"] == 200
    assert flat.futures_get_position_mode() == {"dualSidePosition": False}


async def test_websocket_api_places_queries_and_cancels(sim, flat):
    client = point_at(AsyncClient(KEY, SECRET, testnet=True), sim.base_url)
    client.ws_future = WebsocketAPI(url=sim.ws_url + "/ws-fapi/v1")
    try:
        placed = await client.ws_futures_create_order(
            symbol=S,
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price="58000",
            newClientOrderId="pb-ws-1",
        )
        assert (placed["status"], placed["price"], placed["origQty"]) == (
            "NEW",
            "58000.00",
            "0.010",
        )
        got = await client.ws_futures_get_order(symbol=S, origClientOrderId="pb-ws-1")
        assert (got["orderId"], got["status"]) == (placed["orderId"], "NEW")
        cancelled = await client.ws_futures_cancel_order(symbol=S, orderId=placed["orderId"])
        assert cancelled["status"] == "CANCELED"
        (usdt,) = await client.ws_futures_v2_account_balance()
        assert (usdt["asset"], usdt["balance"]) == (
            "USDT",
            flat.futures_account_balance()[0]["balance"],
        )
    finally:
        await client.close_connection()
        await client.ws_future.close()
    rest = flat.futures_get_order(symbol=S, origClientOrderId="pb-ws-1")
    assert rest["status"] == "CANCELED"


def test_isolated_margin_add_reduce_and_history(flat):
    """futures_change_position_margin moves the isolated wallet; the history lists both."""
    flat.futures_change_margin_type(symbol=S, marginType="ISOLATED")
    try:
        flat.futures_create_order(symbol=S, side="BUY", type="MARKET", quantity="0.010")
        answer = flat.futures_change_position_margin(symbol=S, amount=10, type=1)
        assert (answer["code"], answer["amount"], answer["type"]) == (200, 10.0, 1)
        flat.futures_change_position_margin(symbol=S, amount="2.5", type=2)
        pos = flat.futures_position_information(symbol=S)[0]
        assert Decimal(pos["isolatedWallet"]) == Decimal("37.5")  # 30 initial + 10 - 2.5
        history = flat.futures_position_margin_history(symbol=S)
        assert [(h["type"], h["amount"]) for h in history] == [(1, "10"), (2, "2.5")]
        with pytest.raises(BinanceAPIException) as exc:  # -4055: a zero amount
            flat.futures_change_position_margin(symbol=S, amount="0", type=1)
        assert exc.value.code == -4055
    finally:
        flat.futures_create_order(
            symbol=S, side="SELL", type="MARKET", quantity="0.010", reduceOnly="true"
        )
        flat.futures_change_margin_type(symbol=S, marginType="CROSSED")


def test_funding_commission_and_income(flat):
    """The money reads (funding history, fee rates, the income ledger) answer Binance's shapes."""
    assert flat.futures_commission_rate(symbol=S) == {
        "symbol": S,
        "makerCommissionRate": "0.0002",
        "takerCommissionRate": "0.0004",
    }
    rates = flat.futures_funding_rate(symbol=S)
    assert isinstance(rates, list)
    assert all(r["symbol"] == S and Decimal(r["fundingRate"]) is not None for r in rates)
    income = flat.futures_income_history()
    assert isinstance(income, list)
    assert all({"incomeType", "income", "asset", "time", "tranId"} <= set(r) for r in income)
