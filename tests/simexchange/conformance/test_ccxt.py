"""ccxt (REST, sync) and ccxt.pro (WebSocket, async) `binanceusdm` against the stand-in."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from urllib.parse import urlparse

import ccxt
import ccxt.pro
import pytest

from .conftest import KEYS, held

KEY, SECRET = KEYS["ccxt"]
BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


def point_at(exchange, base_url: str, ws_url: str):
    """Every REST and stream URL of the client rewritten to the stand-in (path kept)."""
    api = exchange.urls["api"]
    for name, url in list(api.items()):
        if isinstance(url, str):
            api[name] = base_url + urlparse(url).path
        elif isinstance(url, dict):
            for sub, u in url.items():
                if isinstance(u, str):
                    url[sub] = (ws_url if u.startswith("ws") else base_url) + urlparse(u).path
    return exchange


def options() -> dict:
    # markets come from the stand-in's exchangeInfo only; no Spot currency list is fetched
    return {
        "apiKey": KEY,
        "secret": SECRET,
        "options": {"fetchCurrencies": False, "fetchMarkets": {"types": ["linear"]}},
    }


@pytest.fixture(scope="module")
def ex(sim):
    exchange = point_at(ccxt.binanceusdm(options()), sim.base_url, sim.ws_url)
    exchange.load_markets()
    return exchange


@pytest.fixture
def flat(sim, ex):
    """No open orders (plain or algo), no position, known prices."""
    ex.cancel_all_orders(BTC)
    ex.cancel_all_orders(BTC, {"trigger": True})
    pos = held(sim, KEY)
    if pos:
        side = "sell" if pos > 0 else "buy"
        ex.create_order(BTC, "market", side, float(abs(pos)), params={"reduceOnly": True})
    ex.set_leverage(20, BTC)
    sim.control.set_price("BTCUSDT", "60000")  # after the close: the last trade is at 60000
    return ex


# ---------------------------------------------------------------- market data


def test_markets_come_from_exchange_info(ex):
    m = ex.market(BTC)
    assert m["id"] == "BTCUSDT" and m["linear"] and m["swap"] and m["settle"] == "USDT"
    assert m["precision"]["price"] == 0.1 and m["precision"]["amount"] == 0.001
    assert m["limits"]["cost"]["min"] == 100
    assert set(ex.symbols) >= {BTC, ETH, "SOL/USDT:USDT", "BNB/USDT:USDT"}


def test_time_ticker_tickers_book_and_mark(sim, ex):
    assert abs(ex.fetch_time() - ex.milliseconds()) < 60_000
    t = ex.fetch_ticker(BTC)
    assert t["last"] == 60000.0 and t["symbol"] == BTC
    tickers = ex.fetch_tickers([BTC, ETH])
    assert tickers[ETH]["last"] == 3000.0
    book = ex.fetch_order_book(BTC, 5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert book["bids"][0][0] == 59999.9 and book["asks"][0][0] == 60000.0
    assert book["bids"][0][0] > book["bids"][1][0]
    assert ex.fetch_mark_price(BTC)["markPrice"] == 60000.0
    rate = ex.fetch_funding_rate(BTC)
    assert rate["fundingRate"] == 0.0001 and rate["markPrice"] == 60000.0
    assert len(ex.fetch_funding_rates([BTC, ETH])) == 2


def test_candles_of_every_kind(ex):
    bars = ex.fetch_ohlcv(BTC, "1m", limit=3)
    assert len(bars) == 3 and bars[-1][4] == 60000.0
    assert bars[1][0] - bars[0][0] == 60_000
    hourly = ex.fetch_ohlcv(ETH, "1h", limit=24)
    assert len(hourly) == 24 and all(b[2] >= b[3] > 0 for b in hourly)
    assert ex.fetch_mark_ohlcv(BTC, "1m", limit=2)[-1][4] == 60000.0
    assert ex.fetch_index_ohlcv(BTC, "1m", limit=2)[-1][4] == 60000.0
    assert ex.fetch_premium_index_ohlcv(BTC, "1m", limit=2)[-1][4] == 0.0


def test_open_interest_and_leverage_tiers(ex):
    oi = ex.fetch_open_interest(BTC)
    assert oi["symbol"] == BTC and oi["openInterestAmount"] >= 0
    tiers = ex.fetch_market_leverage_tiers(BTC)
    assert tiers[0]["maxLeverage"] == 125 and tiers[0]["minNotional"] == 0
    assert all(a["maxNotional"] == b["minNotional"] for a, b in zip(tiers, tiers[1:], strict=False))


# ---------------------------------------------------------------- account and settings


def test_balance_of_a_fresh_account(flat):
    usdt = flat.fetch_balance()["USDT"]
    assert usdt["total"] == 10000.0 and usdt["free"] == 10000.0 and usdt["used"] == 0.0


def test_leverage_margin_mode_and_position_mode(flat):
    flat.set_leverage(7, BTC)
    lev = flat.fetch_leverage(BTC)
    assert lev["longLeverage"] == 7 and lev["marginMode"] == "cross"
    flat.set_margin_mode("isolated", ETH)
    assert flat.fetch_margin_mode(ETH)["marginMode"] == "isolated"
    assert flat.fetch_leverages([BTC, ETH])[BTC]["longLeverage"] == 7
    assert flat.fetch_position_mode(BTC)["hedged"] is False
    with pytest.raises(
        ccxt.OperationRejected
    ):  # one-way already: Binance's -4059 "No need to change"
        flat.set_position_mode(False)


# ---------------------------------------------------------------- orders


def test_limit_order_lifecycle(flat):
    o = flat.create_order(BTC, "limit", "buy", 0.01, 59000, {"clientOrderId": "cx-1"})
    assert o["status"] == "open" and o["price"] == 59000.0 and o["amount"] == 0.01
    opened = flat.fetch_open_orders(BTC)
    assert [x["id"] for x in opened] == [o["id"]] and opened[0]["clientOrderId"] == "cx-1"
    assert flat.fetch_order(o["id"], BTC)["remaining"] == 0.01
    assert flat.fetch_balance()["USDT"]["used"] == pytest.approx(59000 * 0.01 / 20)
    cancelled = flat.cancel_order(o["id"], BTC)
    assert cancelled["status"] == "canceled"
    assert flat.fetch_open_orders(BTC) == []
    assert o["id"] in {x["id"] for x in flat.fetch_canceled_orders(BTC)}


def test_market_order_fills_and_shows_in_trades_positions_and_balance(flat):
    o = flat.create_order(BTC, "market", "buy", 0.02)
    assert o["status"] == "closed" and o["filled"] == 0.02 and o["average"] == 60000.0
    trades = flat.fetch_my_trades(BTC)
    mine = [t for t in trades if t["order"] == o["id"]]
    assert len(mine) == 1 and mine[0]["price"] == 60000.0 and mine[0]["amount"] == 0.02
    assert mine[0]["fee"]["cost"] == pytest.approx(60000 * 0.02 * 0.0004)
    (pos,) = flat.fetch_positions([BTC])
    assert pos["contracts"] == 0.02 and pos["side"] == "long" and pos["entryPrice"] == 60000.0
    assert o["id"] in {x["id"] for x in flat.fetch_closed_orders(BTC)}
    assert any(x["id"] == o["id"] for x in flat.fetch_orders(BTC))


def test_a_stop_market_goes_to_the_algo_endpoint_and_cancel_all(flat):
    flat.create_order(BTC, "market", "buy", 0.01)
    stop = flat.create_order(
        BTC, "market", "sell", 0.01, None, {"stopPrice": 55000, "reduceOnly": True}
    )
    assert stop["info"]["orderType"] == "STOP_MARKET" and stop["info"]["triggerPrice"] == "55000.00"
    flat.create_order(BTC, "limit", "buy", 0.01, 50000)
    flat.cancel_all_orders(BTC)
    assert flat.fetch_open_orders(BTC) == []


def test_a_trailing_stop_from_trailing_percent_trails_and_closes(sim, flat):
    """ccxt's trailingPercent becomes the algo endpoint's trailing stop (activation at the
    market when no trailingTriggerPrice is given); it fires 1 % under the best price."""
    flat.create_order(BTC, "market", "buy", 0.01)
    trail = flat.create_order(
        BTC, "market", "sell", 0.01, None, {"trailingPercent": 1, "reduceOnly": True}
    )
    info = trail["info"]
    assert (info["orderType"], info["callbackRate"], info["activatePrice"]) == (
        "TRAILING_STOP_MARKET",
        "1",
        "60000.00",
    )
    sim.control.set_price("BTCUSDT", "59500")
    assert flat.fetch_positions([BTC])[0]["contracts"] == 0.01  # 1 % under 60000 is 59400
    sim.control.set_price("BTCUSDT", "59400")
    assert [p for p in flat.fetch_positions([BTC]) if p["contracts"]] == []
    with pytest.raises(ccxt.ExchangeError, match="-2007"):  # a callback rate over 10 %
        flat.create_order(BTC, "market", "sell", 0.01, None, {"trailingPercent": 11})


def test_refusals_map_to_ccxt_errors(flat):
    with pytest.raises(ccxt.ExchangeError, match="-2019"):
        flat.create_order(BTC, "market", "buy", 100)
    with pytest.raises(ccxt.ExchangeError, match="-4164"):
        flat.create_order(BTC, "limit", "buy", 0.001, 59000)  # notional under 100
    with pytest.raises(ccxt.OrderNotFound):
        flat.fetch_order("123456", BTC)


def test_edit_order_changes_the_resting_order(flat):
    o = flat.create_order(BTC, "limit", "buy", 0.01, 59000)
    edited = flat.edit_order(o["id"], BTC, "limit", "buy", 0.02, 58500)
    assert (edited["id"], edited["price"], edited["amount"]) == (o["id"], 58500.0, 0.02)
    got = flat.fetch_order(o["id"], BTC)
    assert (got["price"], got["amount"], got["status"]) == (58500.0, 0.02, "open")


def test_create_orders_places_each_and_answers_each(flat):
    placed = flat.create_orders(
        [
            {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.01, "price": p}
            for p in (57000, 57100, 57200)
        ]
    )
    assert [(x["price"], x["amount"], x["status"]) for x in placed] == [
        (p, 0.01, "open") for p in (57000.0, 57100.0, 57200.0)
    ]
    assert {x["id"] for x in flat.fetch_open_orders(BTC)} == {x["id"] for x in placed}
    cancelled = flat.cancel_orders([x["id"] for x in placed[:2]], BTC)
    assert [x["status"] for x in cancelled] == ["canceled", "canceled"]
    assert [x["id"] for x in flat.fetch_open_orders(BTC)] == [placed[2]["id"]]


def test_public_trades_and_history_of_open_interest_and_ratios(flat):
    flat.create_order(BTC, "market", "buy", 0.01)
    trades = flat.fetch_trades(BTC, limit=5)
    assert trades and all(t["id"] and t["price"] > 0 and t["amount"] > 0 for t in trades)
    assert (trades[-1]["price"], trades[-1]["amount"], trades[-1]["side"]) == (60000.0, 0.01, "buy")
    oi = flat.fetch_open_interest_history(BTC, "5m", limit=3)
    assert len(oi) == 3 and all(r["symbol"] == BTC and r["openInterestAmount"] >= 0 for r in oi)
    assert oi[0]["timestamp"] < oi[1]["timestamp"] < oi[2]["timestamp"]
    ratios = flat.fetch_long_short_ratio_history(BTC, "5m", limit=2)
    assert len(ratios) == 2 and all(r["symbol"] == BTC and r["longShortRatio"] > 0 for r in ratios)


def test_hedge_mode_with_set_position_mode(flat):
    flat.set_position_mode(True, BTC)
    try:
        assert flat.fetch_position_mode(BTC)["hedged"] is True
        o = flat.create_order(BTC, "market", "sell", 0.01, None, {"positionSide": "SHORT"})
        assert o["status"] == "closed" and o["info"]["positionSide"] == "SHORT"
        opened = [p for p in flat.fetch_positions([BTC]) if p["contracts"]]
        assert [(p["side"], p["contracts"], p["hedged"]) for p in opened] == [("short", 0.01, True)]
        with pytest.raises(ccxt.ExchangeError, match="-4068"):  # a position blocks the switch
            flat.set_position_mode(False, BTC)
    finally:  # one-way again for the next test: close what is open, then switch
        for p in flat.fetch_positions([BTC]):
            if p["contracts"]:
                side = "sell" if p["side"] == "long" else "buy"
                flat.create_order(
                    BTC, "market", side, p["contracts"], None, {"positionSide": p["side"].upper()}
                )
        flat.set_position_mode(False, BTC)
    assert flat.fetch_position_mode(BTC)["hedged"] is False


# ---------------------------------------------------------------- ccxt.pro streams


@pytest.fixture
async def pro(sim):
    exchange = point_at(ccxt.pro.binanceusdm(options()), sim.base_url, sim.ws_url)
    await exchange.load_markets()
    yield exchange
    await exchange.close()


async def until(watch, pred, timeout: float = 10.0):
    """Await a ccxt.pro watch again and again until its answer satisfies pred."""

    async def loop():
        while not pred(result := await watch()):
            pass
        return result

    return await asyncio.wait_for(loop(), timeout)


async def test_pro_public_watches(sim, pro):
    sim.control.set_price("BTCUSDT", "60000")
    t = await asyncio.wait_for(pro.watch_ticker(BTC), 10)
    assert t["symbol"] == BTC and t["last"] == 60000.0
    tickers = await asyncio.wait_for(pro.watch_tickers([BTC, ETH]), 10)
    assert set(tickers) <= {BTC, ETH} and all(x["last"] > 0 for x in tickers.values())
    book = await asyncio.wait_for(pro.watch_order_book(BTC), 10)
    assert book["bids"][0][0] == 59999.9 and book["asks"][0][0] == 60000.0
    bars = await asyncio.wait_for(pro.watch_ohlcv(BTC, "1m"), 10)
    assert bars[-1][4] == 60000.0
    mark = await asyncio.wait_for(pro.watch_mark_price(BTC), 10)
    assert mark["markPrice"] == 60000.0
    bidask = await asyncio.wait_for(pro.watch_bids_asks([BTC]), 10)
    assert bidask[BTC]["bid"] == 59999.9 and bidask[BTC]["ask"] == 60000.0
    watching = asyncio.ensure_future(pro.watch_trades(BTC))
    await asyncio.sleep(0.5)  # the trade socket is subscribed before the trade happens
    sim.control.set_price("BTCUSDT", "60010")
    trades = await asyncio.wait_for(watching, 10)
    assert trades[-1]["price"] == 60010.0
    sim.control.set_price("BTCUSDT", "60000")


async def test_pro_private_watches_see_an_order_fill(sim, pro, flat):
    await asyncio.wait_for(pro.watch_positions([BTC]), 10)  # the snapshot; the socket opens
    watches = {
        "orders": asyncio.ensure_future(pro.watch_orders(BTC)),
        "trades": asyncio.ensure_future(pro.watch_my_trades(BTC)),
        "positions": asyncio.ensure_future(pro.watch_positions([BTC])),
        "balance": asyncio.ensure_future(pro.watch_balance()),
    }
    await asyncio.sleep(0.5)
    placed = await pro.create_order(BTC, "market", "buy", 0.01)
    got = {k: await asyncio.wait_for(v, 10) for k, v in watches.items()}
    assert got["orders"][-1]["id"] == placed["id"]
    trade = got["trades"][-1]
    assert (trade["order"], trade["price"], trade["amount"]) == (placed["id"], 60000.0, 0.01)
    assert [(p["contracts"], p["side"]) for p in got["positions"]] == [(0.01, "long")]
    rest = await pro.fetch_balance()
    assert got["balance"]["USDT"]["total"] == rest["USDT"]["total"] < 10000


# ---------------------------------------------------------------- left out


def test_isolated_margin_add_reduce_and_history(sim, flat):
    """add_margin / reduce_margin move the isolated wallet; the history lists both changes."""
    flat.set_margin_mode("isolated", BTC)
    try:
        flat.create_order(BTC, "market", "buy", 0.01)
        added = flat.add_margin(BTC, 10)
        assert (added["type"], added["amount"], added["status"]) == ("add", 10.0, "ok")
        removed = flat.reduce_margin(BTC, 5)
        assert (removed["type"], removed["amount"]) == ("reduce", 5.0)
        pos = flat.fetch_positions([BTC])[0]
        assert Decimal(pos["info"]["isolatedWallet"]) == Decimal("35")  # 30 initial + 10 - 5
        history = flat.fetch_margin_adjustment_history(BTC)
        assert [(h["type"], h["amount"], h["code"]) for h in history] == [
            ("add", 10.0, "USDT"),
            ("reduce", 5.0, "USDT"),
        ]
        with pytest.raises(ccxt.InsufficientFunds):  # -4051: only 5 above the initial margin
            flat.reduce_margin(BTC, 6)
    finally:
        flat.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
        flat.set_margin_mode("cross", BTC)
