"""Kline variants, open interest and the account's status reads, over real HTTP."""

from __future__ import annotations

import requests


def get(sim, path, **params):
    r = requests.get(sim.base_url + path, params=params, timeout=5)
    return r.status_code, r.json()


def test_mark_and_index_klines_follow_trade_bars_in_binances_row_shape(sim):
    _, trade = get(sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", limit=3)
    status, mark = get(sim, "/fapi/v1/markPriceKlines", symbol="BTCUSDT", interval="1h", limit=3)
    assert status == 200 and len(mark) == 3 and len(mark[0]) == 12
    assert [r[:5] for r in mark] == [r[:5] for r in trade] and mark[0][5] == "0"
    _, index = get(sim, "/fapi/v1/indexPriceKlines", pair="BTCUSDT", interval="1h", limit=3)
    assert [r[0] for r in index] == [r[0] for r in trade]
    _, prem = get(sim, "/fapi/v1/premiumIndexKlines", symbol="BTCUSDT", interval="1h", limit=2)
    assert prem[0][1:5] == ["0.00000000"] * 4


def test_continuous_klines_serve_the_perpetual_and_refuse_unknown_types(sim):
    args = {"pair": "ETHUSDT", "interval": "1m", "limit": 5}
    status, rows = get(sim, "/fapi/v1/continuousKlines", contractType="PERPETUAL", **args)
    _, trade = get(sim, "/fapi/v1/klines", symbol="ETHUSDT", interval="1m", limit=5)
    assert status == 200 and [r[0] for r in rows] == [r[0] for r in trade]
    assert get(sim, "/fapi/v1/continuousKlines", contractType="NEXT_QUARTER", **args) == (200, [])
    status, err = get(sim, "/fapi/v1/continuousKlines", contractType="WEEKLY", **args)
    assert status == 400 and err["code"] == -4144
    status, err = get(sim, "/fapi/v1/indexPriceKlines", pair="NOPE", interval="1m")
    assert (status, err["code"]) == (400, -1121)


def test_open_interest_counts_the_open_long_positions(sim, alice_api):
    assert get(sim, "/fapi/v1/openInterest", symbol="BTCUSDT")[1]["openInterest"] == "0.000"
    alice_api.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
    )
    status, oi = get(sim, "/fapi/v1/openInterest", symbol="BTCUSDT")
    assert status == 200 and oi["openInterest"] == "0.010" and oi["symbol"] == "BTCUSDT"


def test_account_status_reads_answer_in_binance_shape(sim, alice_api):
    limits = alice_api.ok("GET", "/fapi/v1/rateLimit/order")
    assert {(r["interval"], r["limit"]) for r in limits} == {("SECOND", 300), ("MINUTE", 1200)}
    assert alice_api.ok("GET", "/fapi/v1/apiTradingStatus")["indicators"] == {}
    assert alice_api.ok("GET", "/fapi/v1/forceOrders", symbol="BTCUSDT") == []
    assert alice_api.ok("GET", "/fapi/v1/adlQuantile") == []
    alice_api.ok(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.100"
    )
    rows = alice_api.ok("GET", "/fapi/v1/adlQuantile")
    assert [r["symbol"] for r in rows] == ["ETHUSDT"] and "BOTH" in rows[0]["adlQuantile"]


def test_account_status_reads_need_a_signature(sim):
    for path in ("/fapi/v1/rateLimit/order", "/fapi/v1/adlQuantile", "/fapi/v1/forceOrders"):
        assert get(sim, path)[0] in (400, 401)


def test_every_price_kline_read_refuses_an_unlisted_or_missing_symbol_as_binance_does(sim):
    by_symbol = ("/fapi/v1/markPriceKlines", "/fapi/v1/premiumIndexKlines")
    by_pair = ("/fapi/v1/indexPriceKlines", "/fapi/v1/continuousKlines")
    extra = {"interval": "1m", "contractType": "PERPETUAL"}
    for path in by_symbol:
        assert get(sim, path, symbol="NOPE", **extra)[1]["code"] == -1121, path
    for path in by_pair:
        assert get(sim, path, pair="NOPE", **extra)[1]["code"] == -1121, path
        # a pair read given a symbol instead: the mandatory pair is missing
        status, err = get(sim, path, symbol="BTCUSDT", **extra)
        assert (status, err["code"]) == (400, -1102), path
    _, eth = get(sim, "/fapi/v1/markPriceKlines", symbol="ETHUSDT", interval="1h", limit=1)
    _, btc = get(sim, "/fapi/v1/indexPriceKlines", pair="BTCUSDT", interval="1h", limit=1)
    assert eth[0][4] != btc[0][4]  # each read follows its own symbol's bars


def test_force_orders_list_the_accounts_own_liquidations_only(sim, alice_api, bob_api):
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=10)
    alice_api.market("BUY", "0.100")
    bob_api.market("BUY", "0.010")  # cross with a full wallet: survives the drop
    sim.control.set_price("BTCUSDT", "54000")  # under alice's 54216.8
    (row,) = alice_api.ok("GET", "/fapi/v1/forceOrders", symbol="BTCUSDT")
    assert row["clientOrderId"].startswith("autoclose-")
    assert (row["status"], row["side"], row["origQty"], row["executedQty"], row["type"]) == (
        "FILLED",
        "SELL",
        "0.100",
        "0.100",
        "LIMIT",
    )
    assert {"time", "updateTime", "avgPrice", "cumQuote", "timeInForce"} <= set(row)
    assert alice_api.ok("GET", "/fapi/v1/forceOrders", autoCloseType="LIQUIDATION") == [row]
    assert alice_api.ok("GET", "/fapi/v1/forceOrders", autoCloseType="ADL") == []
    assert alice_api.ok("GET", "/fapi/v1/forceOrders", symbol="ETHUSDT") == []
    assert alice_api.ok("GET", "/fapi/v1/forceOrders", endTime=row["time"] - 1) == []
    assert bob_api.ok("GET", "/fapi/v1/forceOrders") == []
    assert alice_api.err("GET", "/fapi/v1/forceOrders", limit=101) == (400, -1102)
