"""Binance's own Python clients, pointed at the stand-in, work unmodified."""

from __future__ import annotations

import json
import threading
import time

import pytest
from binance.um_futures import UMFutures
from binance.websocket.um_futures.websocket_client import UMFuturesWebsocketClient
from binance_common.configuration import ConfigurationRestAPI
from binance_sdk_derivatives_trading_usds_futures import DerivativesTradingUsdsFutures
from binance_sdk_derivatives_trading_usds_futures.rest_api.models import (
    ChangeMarginTypeMarginTypeEnum,
    NewOrderNewOrderRespTypeEnum,
    NewOrderSideEnum,
    NewOrderTimeInForceEnum,
    NewOrderTypeEnum,
)

from .conftest import ALICE


class Inbox:
    """Collects websocket messages from the connector's callback thread."""

    def __init__(self):
        self.items: list[dict] = []
        self.cond = threading.Condition()

    def __call__(self, _ws, message: str) -> None:
        with self.cond:
            self.items.append(json.loads(message))
            self.cond.notify_all()

    def wait_for(self, pred, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.items:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching message in {self.items[-5:]}")
                self.cond.wait(left)


# ---------------------------------------------------------------- binance-futures-connector


@pytest.fixture
def um(sim) -> UMFutures:
    return UMFutures(key=ALICE[0], secret=ALICE[1], base_url=sim.base_url)


def test_connector_reads_exchange_info_and_account(um):
    info = um.exchange_info()
    syms = {s["symbol"]: s for s in info["symbols"]}
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"} <= set(syms)
    notional = next(f for f in syms["BTCUSDT"]["filters"] if f["filterType"] == "MIN_NOTIONAL")
    assert notional["notional"] == "100"
    assert um.account()["totalWalletBalance"] == "10000.00000000"
    assert um.balance()[0]["asset"] == "USDT"


def test_connector_places_queries_and_cancels(um):
    o = um.new_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=0.01,
        price=59000,
        timeInForce="GTC",
        newClientOrderId="conn-1",
    )
    q = um.query_order(symbol="BTCUSDT", orderId=o["orderId"])
    assert q["status"] == "NEW" and q["clientOrderId"] == "conn-1"
    assert len(um.get_orders(symbol="BTCUSDT")) == 1
    c = um.cancel_order(symbol="BTCUSDT", origClientOrderId="conn-1")
    assert c["status"] == "CANCELED"


def test_connector_leverage_margin_type_and_positions(um):
    assert um.change_leverage(symbol="ETHUSDT", leverage=5)["leverage"] == 5
    assert um.change_margin_type(symbol="ETHUSDT", marginType="ISOLATED")["code"] == 200
    um.new_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity=0.1)
    pos = um.get_position_risk(symbol="ETHUSDT")[0]
    assert pos["positionAmt"] == "-0.100" and float(pos["isolatedWallet"]) > 0


def test_connector_errors_are_client_errors(um):
    from binance.error import ClientError

    with pytest.raises(ClientError) as exc:
        um.query_order(symbol="BTCUSDT", orderId=12345)
    assert exc.value.error_code == -2013 and exc.value.status_code == 400


def test_connector_market_stream_and_user_stream_after_a_fill(sim, um):
    lk = um.new_listen_key()["listenKey"]
    market, user = Inbox(), Inbox()
    sim.control.feed(True)
    ws_market = UMFuturesWebsocketClient(stream_url=sim.ws_url, on_message=market)
    ws_user = UMFuturesWebsocketClient(stream_url=sim.ws_url, on_message=user)
    try:
        ws_market.agg_trade(symbol="btcusdt")
        assert market.wait_for(lambda m: m.get("e") == "aggTrade")["s"] == "BTCUSDT"
        ws_user.user_data(listen_key=lk)
        user.wait_for(lambda m: "result" in m)
        sim.control.feed(False)
        um.new_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.01)
        t = user.wait_for(lambda m: m.get("e") == "ORDER_TRADE_UPDATE" and m["o"]["x"] == "TRADE")
        assert t["o"]["X"] == "FILLED" and t["o"]["N"] == "USDT"
        user.wait_for(lambda m: m.get("e") == "ACCOUNT_UPDATE")
        um.renew_listen_key(lk)
    finally:
        sim.control.feed(False)
        ws_market.stop()
        ws_user.stop()


# ---------------------------------------------------------------- official modular SDK


@pytest.fixture
def sdk(sim):
    cfg = ConfigurationRestAPI(api_key=ALICE[0], api_secret=ALICE[1], base_path=sim.base_url)
    return DerivativesTradingUsdsFutures(config_rest_api=cfg).rest_api


def test_sdk_exchange_info_and_account(sdk):
    info = sdk.exchange_information().data()
    assert "BTCUSDT" in {s.symbol for s in info.symbols}
    acct = sdk.account_information_v3().data()
    assert acct.total_wallet_balance == "10000.00000000"


def test_sdk_order_lifecycle_and_settings(sdk, sim):
    o = sdk.new_order(
        symbol="BTCUSDT",
        side=NewOrderSideEnum.BUY,
        type=NewOrderTypeEnum.LIMIT,
        time_in_force=NewOrderTimeInForceEnum.GTC,
        quantity=0.01,
        price=59000.0,
        new_client_order_id="sdk-1",
    ).data()
    assert o.status == "NEW"
    q = sdk.query_order(symbol="BTCUSDT", order_id=o.order_id).data()
    assert q.client_order_id == "sdk-1"
    c = sdk.cancel_order(symbol="BTCUSDT", order_id=o.order_id).data()
    assert c.status == "CANCELED"
    lev = sdk.change_initial_leverage(symbol="BTCUSDT", leverage=10).data()
    assert lev.leverage == 10
    sdk.change_margin_type(symbol="BTCUSDT", margin_type=ChangeMarginTypeMarginTypeEnum.ISOLATED)
    filled = sdk.new_order(
        symbol="BTCUSDT",
        side=NewOrderSideEnum.BUY,
        type=NewOrderTypeEnum.MARKET,
        quantity=0.01,
        new_order_resp_type=NewOrderNewOrderRespTypeEnum.RESULT,
    ).data()
    assert filled.status == "FILLED"
    pos = sdk.position_information_v3(symbol="BTCUSDT").data()
    assert pos[0].position_amt == "0.010"
    lk = sdk.start_user_data_stream().data()
    assert len(lk.listen_key) == 64
