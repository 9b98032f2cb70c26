"""binance-futures-connector: `UMFutures` (REST) and `UMFuturesWebsocketClient` (streams)."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from binance.error import ClientError
from binance.um_futures import UMFutures
from binance.websocket.um_futures.websocket_client import UMFuturesWebsocketClient

from .conftest import KEYS, held

KEY, SECRET = KEYS["connector"]
S = "BTCUSDT"


class Inbox:
    """Messages from the connector's callback thread, waited on by predicate."""

    def __init__(self):
        self.items: list[dict] = []
        self.cond = threading.Condition()

    def __call__(self, _ws, message: str) -> None:
        with self.cond:
            self.items.append(json.loads(message))
            self.cond.notify_all()

    def wait_for(self, pred, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.items:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching message in {self.items[-3:]}")
                self.cond.wait(left)


@pytest.fixture(scope="module")
def um(sim) -> UMFutures:
    return UMFutures(key=KEY, secret=SECRET, base_url=sim.base_url)


@pytest.fixture
def flat(sim, um):
    um.cancel_open_orders(symbol=S)
    amt = held(sim, KEY, S)
    if amt:
        side = "SELL" if amt > 0 else "BUY"
        um.new_order(symbol=S, side=side, type="MARKET", quantity=str(abs(amt)), reduceOnly="true")
    um.change_leverage(symbol=S, leverage=20)
    sim.control.set_price(S, "60000")
    return um


def test_market_data(um):
    assert um.ping() == {}
    assert abs(um.time()["serverTime"] - time.time() * 1000) < 60_000
    info = {s["symbol"]: s for s in um.exchange_info()["symbols"]}
    assert info[S]["contractType"] == "PERPETUAL" and info[S]["quantityPrecision"] == 3
    book = um.depth(S, limit=5)
    assert book["bids"][0] == ["59999.90", "0.500"] and book["asks"][0][0] == "60000.00"
    assert um.klines(S, "1m", limit=2)[-1][4] == "60000.00"
    assert um.continuous_klines(S, "PERPETUAL", "1m", limit=2)[-1][4] == "60000.00"
    assert um.mark_price_klines(S, "1m", limit=2)[-1][4] == "60000.00"
    assert um.index_price_klines(S, "1m", limit=2)[-1][4] == "60000.00"
    mark = um.mark_price(S)
    assert mark["markPrice"] == "60000.00" and mark["lastFundingRate"] == "0.00010000"
    assert um.ticker_24hr_price_change(S)["lastPrice"] == "60000.00"
    assert um.ticker_price(S)["price"] == "60000.00"
    bt = um.book_ticker(S)
    assert (bt["bidPrice"], bt["askPrice"]) == ("59999.90", "60000.00")
    assert Decimal(um.open_interest(S)["openInterest"]) >= 0


def test_account_settings_and_brackets(flat):
    (usdt,) = flat.balance()
    assert (usdt["asset"], usdt["balance"]) == ("USDT", "10000.00000000") and usdt["updateTime"]
    acct = flat.account()
    assert acct["totalWalletBalance"] == acct["availableBalance"] == "10000.00000000"
    assert flat.change_leverage(symbol=S, leverage=9)["leverage"] == 9
    assert flat.change_margin_type(symbol="ETHUSDT", marginType="ISOLATED")["code"] == 200
    with pytest.raises(ClientError) as exc:
        flat.change_margin_type(symbol="ETHUSDT", marginType="ISOLATED")
    assert exc.value.error_code == -4046
    assert flat.get_position_mode() == {"dualSidePosition": False}
    assert flat.get_multi_asset_mode() == {"multiAssetsMargin": False}
    brackets = flat.leverage_brackets(symbol=S)  # one object when a symbol is named
    assert brackets["symbol"] == S and brackets["brackets"][0]["initialLeverage"] == 125
    limits = {r["interval"]: r["limit"] for r in flat.query_user_rate_limit()}
    assert limits == {"SECOND": 300, "MINUTE": 1200}
    assert flat.api_trading_status()["indicators"] == {}
    assert flat.force_orders(symbol=S) == []


def test_order_lifecycle(flat):
    o = flat.new_order(
        symbol=S,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity=0.01,
        price=59000,
        newClientOrderId="conn-1",
    )
    assert (o["status"], o["price"], o["origQty"]) == ("NEW", "59000.00", "0.010")
    assert flat.new_order_test(symbol=S, side="BUY", type="MARKET", quantity=0.01) == {}
    assert flat.query_order(S, origClientOrderId="conn-1")["orderId"] == o["orderId"]
    assert flat.get_open_orders(S, orderId=o["orderId"])["status"] == "NEW"
    assert [x["orderId"] for x in flat.get_orders(symbol=S)] == [o["orderId"]]
    assert flat.cancel_order(S, orderId=o["orderId"])["status"] == "CANCELED"
    assert flat.get_orders(symbol=S) == []
    assert any(x["orderId"] == o["orderId"] for x in flat.get_all_orders(S))


def test_a_fill_shows_in_trades_position_and_adl(flat):
    o = flat.new_order(
        symbol=S, side="BUY", type="MARKET", quantity=0.01, newOrderRespType="RESULT"
    )
    assert (o["status"], o["avgPrice"], o["executedQty"]) == ("FILLED", "60000.00000", "0.010")
    trades = [t for t in flat.get_account_trades(S) if t["orderId"] == o["orderId"]]
    assert [(t["price"], t["qty"], t["commission"]) for t in trades] == [
        ("60000.00", "0.010", "0.24000000")
    ]
    (pos,) = flat.get_position_risk(symbol=S)
    assert (pos["positionAmt"], pos["entryPrice"]) == ("0.010", "60000.00000000")
    (adl,) = flat.adl_quantile(symbol=S)
    assert adl["symbol"] == S
    assert flat.cancel_open_orders(symbol=S)["code"] == 200


def test_errors_are_client_errors_with_binance_codes(flat):
    with pytest.raises(ClientError) as exc:
        flat.new_order(symbol=S, side="BUY", type="MARKET", quantity=0.0001)
    assert exc.value.error_code == -1111  # more decimals than the symbol's precision
    with pytest.raises(ClientError) as exc:
        flat.query_order(S, orderId=1)
    assert exc.value.error_code == -2013


def test_streams_market_and_user(sim, flat):
    market, user = Inbox(), Inbox()
    ws_market = UMFuturesWebsocketClient(stream_url=sim.ws_url, on_message=market)
    ws_user = UMFuturesWebsocketClient(stream_url=sim.ws_url, on_message=user)
    try:
        ws_market.kline(symbol="btcusdt", interval="1m")
        ws_market.mark_price(symbol="btcusdt", speed=1)
        ws_market.book_ticker(symbol="btcusdt")
        ws_market.partial_book_depth(symbol="btcusdt", level=5, speed=100)
        ws_market.continuous_kline(pair="btcusdt", contractType="perpetual", interval="1m")
        ws_market.agg_trade(symbol="btcusdt")
        assert market.wait_for(lambda m: m.get("e") == "kline")["k"]["c"] == "60000.00"
        assert market.wait_for(lambda m: m.get("e") == "markPriceUpdate")["p"] == "60000.00"
        assert market.wait_for(lambda m: m.get("e") == "bookTicker")["b"] == "59999.90"
        assert len(market.wait_for(lambda m: m.get("e") == "depthUpdate")["b"]) == 5
        cont = market.wait_for(lambda m: m.get("e") == "continuous_kline")
        assert (cont["ps"], cont["ct"], cont["k"]["c"]) == ("BTCUSDT", "PERPETUAL", "60000.00")
        lk = flat.new_listen_key()["listenKey"]
        ws_user.user_data(listen_key=lk)
        user.wait_for(lambda m: "result" in m)
        flat.new_order(symbol=S, side="BUY", type="MARKET", quantity=0.01)
        agg = market.wait_for(lambda m: m.get("e") == "aggTrade")
        assert agg["p"] == "60000.00" and agg["q"] == "0.010"
        t = user.wait_for(lambda m: m.get("e") == "ORDER_TRADE_UPDATE" and m["o"]["X"] == "FILLED")
        assert (t["o"]["z"], t["o"]["L"]) == ("0.010", "60000.00")
        acct = user.wait_for(lambda m: m.get("e") == "ACCOUNT_UPDATE")
        assert acct["a"]["P"][0]["pa"] == "0.010"
        assert flat.renew_listen_key(lk) == {"listenKey": lk}
    finally:
        ws_market.stop()
        ws_user.stop()


def test_modify_batch_and_countdown(flat):
    o = flat.new_order(
        symbol=S, side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.01, price=59000
    )
    mod = flat.modify_order(symbol=S, side="BUY", quantity=0.02, price=58500, orderId=o["orderId"])
    assert (mod["orderId"], mod["price"], mod["origQty"]) == (o["orderId"], "58500.00", "0.020")
    got = flat.query_order(S, orderId=o["orderId"])
    assert (got["price"], got["origQty"], got["status"]) == ("58500.00", "0.020", "NEW")
    # the connector has no method for it: its own signed request
    amend = flat.sign_request(
        "GET", "/fapi/v1/orderAmendment", {"symbol": S, "orderId": o["orderId"]}
    )
    assert amend[0]["amendment"]["price"] == {"before": "59000.00", "after": "58500.00"}
    batch = flat.new_batch_order(
        [
            {
                "symbol": S,
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": str(p),
                "newClientOrderId": f"cb-{p}",
            }
            for p in (57000, 57100)
        ]
        + [{"symbol": S, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "57200"}]
    )
    assert [b.get("clientOrderId") for b in batch[:2]] == ["cb-57000", "cb-57100"]
    assert [b.get("price") for b in batch[:2]] == ["57000.00", "57100.00"]
    assert batch[2]["code"] == -1102  # no timeInForce: this one alone is refused
    open_ids = {x["orderId"] for x in flat.get_orders(symbol=S)}
    assert open_ids == {o["orderId"], batch[0]["orderId"], batch[1]["orderId"]}
    cancelled = flat.cancel_batch_order(S, None, ["cb-57000", "cb-57100"])
    assert [c["status"] for c in cancelled] == ["CANCELED", "CANCELED"]
    assert flat.countdown_cancel_order(S, 120_000) == {"symbol": S, "countdownTime": "120000"}
    assert flat.countdown_cancel_order(S, 0) == {"symbol": S, "countdownTime": "0"}
    assert [x["orderId"] for x in flat.get_orders(symbol=S)] == [o["orderId"]]


def test_public_trades_and_futures_data(flat):
    filled = flat.new_order(symbol=S, side="BUY", type="MARKET", quantity=0.01)
    recent = flat.trades(S, limit=5)
    assert recent and all(t["id"] > 0 and Decimal(t["price"]) > 0 for t in recent)
    assert (recent[-1]["price"], recent[-1]["qty"]) == ("60000.00", "0.010")
    older = flat.historical_trades(S, limit=2, fromId=recent[0]["id"])
    assert older[0]["id"] == recent[0]["id"]
    agg = flat.agg_trades(S, limit=5)
    assert agg[-1]["p"] == "60000.00" and agg[-1]["a"] > 0
    assert filled["orderId"]
    oi = flat.open_interest_hist(S, "5m", limit=3)
    assert len(oi) == 3 and all(
        {"symbol", "sumOpenInterest", "sumOpenInterestValue", "timestamp"} <= set(r) for r in oi
    )
    assert oi[0]["timestamp"] < oi[1]["timestamp"] < oi[2]["timestamp"]
    for call in (flat.long_short_account_ratio, flat.top_long_short_position_ratio):
        rows = call(S, "5m", limit=2)
        assert len(rows) == 2
        r = rows[-1]
        assert Decimal(r["longAccount"]) + Decimal(r["shortAccount"]) == 1
    (taker,) = flat.taker_long_short_ratio(S, "5m", limit=1)
    assert Decimal(taker["buySellRatio"]) >= 0 and "buyVol" in taker and "sellVol" in taker


def test_hedge_mode_with_the_connectors_own_calls(flat):
    assert flat.change_position_mode("true")["code"] == 200
    try:
        assert flat.get_position_mode() == {"dualSidePosition": True}
        o = flat.new_order(symbol=S, side="BUY", positionSide="LONG", type="MARKET", quantity=0.01)
        assert o["positionSide"] == "LONG"
        sides = {
            p["positionSide"]: Decimal(p["positionAmt"]) for p in flat.get_position_risk(symbol=S)
        }
        assert sides == {"LONG": Decimal("0.01"), "SHORT": 0}
        with pytest.raises(ClientError) as exc:  # a position blocks the switch back
            flat.change_position_mode("false")
        assert exc.value.error_code == -4068
    finally:  # one-way again for the next test: close the LONG side, then switch
        for p in flat.get_position_risk(symbol=S):
            if Decimal(p["positionAmt"]):
                flat.new_order(
                    symbol=S,
                    side="SELL" if p["positionSide"] == "LONG" else "BUY",
                    positionSide=p["positionSide"],
                    type="MARKET",
                    quantity=str(abs(Decimal(p["positionAmt"]))),
                )
        assert flat.change_position_mode("false")["code"] == 200
    assert flat.get_position_mode() == {"dualSidePosition": False}


def test_isolated_margin_add_reduce_and_history(flat):
    """modify_isolated_position_margin moves the isolated wallet; the history lists both."""
    assert flat.change_margin_type(symbol=S, marginType="ISOLATED")["code"] == 200
    try:
        flat.new_order(symbol=S, side="BUY", type="MARKET", quantity="0.010")
        assert flat.modify_isolated_position_margin(S, 10, 1) == {
            "amount": 10.0,
            "code": 200,
            "msg": "Successfully modify position margin.",
            "type": 1,
        }
        assert flat.modify_isolated_position_margin(S, 5, 2)["type"] == 2
        pos = flat.get_position_risk(symbol=S)[0]
        assert (pos["isolatedWallet"], pos["isolatedMargin"]) == ("35.00000000", "35.00000000")
        history = flat.get_position_margin_history(S)
        assert [(h["type"], h["amount"], h["deltaType"]) for h in history] == [
            (1, "10", "USER_ADJUST"),
            (2, "5", "USER_ADJUST"),
        ]
        assert [h["type"] for h in flat.get_position_margin_history(S, type=2)] == [2]
        with pytest.raises(ClientError) as exc:
            flat.modify_isolated_position_margin(S, 6, 2)
        assert exc.value.error_code == -4051
    finally:
        flat.new_order(symbol=S, side="SELL", type="MARKET", quantity="0.010", reduceOnly="true")
        flat.change_margin_type(symbol=S, marginType="CROSSED")
