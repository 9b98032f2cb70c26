"""WebSocket streams over real sockets: URL forms, live subscribe protocol, limits, user data."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from simexchange.testing import running_simexchange
from tests.support.sim_ws import listen_key, recv_json, recv_until, wait_closed

from .conftest import ALICE


@pytest.fixture
def live():
    with running_simexchange(
        api_keys=f"{ALICE[0]}:{ALICE[1]}", feed_running=True, seed=3, tick_ms=50
    ) as s:
        yield s


@pytest.mark.parametrize(
    "path",
    [
        "/ws/btcusdt@aggTrade",
        "/market/ws/btcusdt@aggTrade",
        "/public/ws/btcusdt@bookTicker",
        "/ws/btcusdt@depth5@100ms",
        "/ws/ethusdt@markPrice@1s",
        "/ws/btcusdt@kline_1m",
        "/ws/btcusdt@ticker",
    ],
)
async def test_raw_streams_push_binance_payloads(live, path):
    expected = {
        "aggTrade": "aggTrade",
        "bookTicker": "bookTicker",
        "depth5": "depthUpdate",
        "markPrice": "markPriceUpdate",
        "kline_1m": "kline",
        "ticker": "24hrTicker",
    }
    kind = path.split("@")[1]
    async with aiohttp.ClientSession() as http, http.ws_connect(live.ws_url + path) as ws:
        m = await recv_json(ws, 5)
        assert m["e"] == expected[kind]
        assert m["s"] in ("BTCUSDT", "ETHUSDT")
        if kind == "depth5":
            assert len(m["b"]) == 5 and len(m["a"]) == 5
        if kind == "kline_1m":
            assert set(m["k"]) >= {"t", "T", "o", "c", "h", "l", "v", "x", "i"}


@pytest.mark.parametrize(
    "path",
    [
        "/stream?streams=btcusdt@aggTrade/ethusdt@bookTicker",
        "/market/stream?streams=btcusdt@aggTrade/ethusdt@bookTicker",
        "/public/stream?streams=btcusdt@aggTrade/ethusdt@bookTicker",
    ],
)
async def test_combined_streams_wrap_payloads(live, path):
    async with aiohttp.ClientSession() as http, http.ws_connect(live.ws_url + path) as ws:
        seen = set()
        while len(seen) < 2:
            m = await recv_json(ws, 5)
            assert set(m) == {"stream", "data"}
            seen.add(m["stream"])
        assert seen == {"btcusdt@aggTrade", "ethusdt@bookTicker"}


async def test_live_subscribe_protocol(live):
    async with aiohttp.ClientSession() as http, http.ws_connect(live.ws_url + "/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1})
        assert await recv_until(ws, lambda m: "id" in m) == {"result": None, "id": 1}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert await recv_until(ws, lambda m: "id" in m) == {
            "result": ["btcusdt@aggTrade"],
            "id": 2,
        }
        m = await recv_until(ws, lambda m: m.get("e") == "aggTrade")
        assert m["s"] == "BTCUSDT"
        await ws.send_json({"method": "SET_PROPERTY", "params": ["combined", True], "id": 3})
        assert await recv_until(ws, lambda m: m.get("id") == 3) == {"result": None, "id": 3}
        await ws.send_json({"method": "GET_PROPERTY", "params": ["combined"], "id": 4})
        assert await recv_until(ws, lambda m: m.get("id") == 4) == {"result": True, "id": 4}
        m = await recv_until(ws, lambda m: "stream" in m)
        assert m["stream"] == "btcusdt@aggTrade"
        await asyncio.sleep(0.2)  # stay under 10 messages a second
        await ws.send_json({"method": "UNSUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 5})
        assert await recv_until(ws, lambda m: m.get("id") == 5) == {"result": None, "id": 5}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 6})
        assert await recv_until(ws, lambda m: m.get("id") == 6) == {"result": [], "id": 6}


async def test_control_message_errors(live):
    async with aiohttp.ClientSession() as http, http.ws_connect(live.ws_url + "/ws") as ws:
        await ws.send_str("{not json")
        assert (await recv_json(ws))["code"] == 3
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": -1})
        assert (await recv_json(ws))["code"] == 2
        await ws.send_json({"method": "NOPE", "id": 7})
        assert (await recv_json(ws))["code"] == 2
        await ws.send_json({"method": "SET_PROPERTY", "params": ["colour", True], "id": 8})
        assert (await recv_json(ws))["code"] == 0
        await ws.send_json({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 9})
        assert (await recv_json(ws))["code"] == 1


async def test_it_caps_streams_per_connection_at_200(live):
    names = [f"sym{i}usdt@aggTrade" for i in range(201)]
    async with aiohttp.ClientSession() as http, http.ws_connect(live.ws_url + "/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": names[:200], "id": 1})
        assert await recv_until(ws, lambda m: "id" in m) == {"result": None, "id": 1}
        await ws.send_json({"method": "SUBSCRIBE", "params": names[200:], "id": 2})
        assert (await recv_until(ws, lambda m: "id" in m))["code"] == 2


async def test_it_disconnects_over_10_incoming_messages_a_second(live):
    async with aiohttp.ClientSession() as http, http.ws_connect(live.ws_url + "/ws") as ws:
        for i in range(12):
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": i})
        msg = await wait_closed(ws)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_server_pings_and_drops_clients_that_do_not_pong():
    with running_simexchange(feed_running=False, ping_interval=0.1, pong_timeout=0.5) as s:
        async with aiohttp.ClientSession() as http:
            # autoping=False: pings reach us and are never answered
            async with http.ws_connect(s.ws_url + "/ws/btcusdt@aggTrade", autoping=False) as ws:
                msg = await asyncio.wait_for(ws.receive(), 2)
                assert msg.type == aiohttp.WSMsgType.PING
                started = time.monotonic()
                closed = await wait_closed(ws, 3)
                assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
                assert time.monotonic() - started < 2
            # a client that answers pings stays connected past the timeout
            async with http.ws_connect(s.ws_url + "/ws/btcusdt@aggTrade", autoping=True) as ws:
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.receive(), 1.2)
                assert not ws.closed


async def test_it_cuts_connections_at_max_lifetime():
    with running_simexchange(feed_running=False, max_conn_seconds=0.3) as s:
        async with aiohttp.ClientSession() as http, http.ws_connect(s.ws_url + "/ws") as ws:
            await wait_closed(ws, 3)


# ---------------------------------------------------------------- user data


@pytest.mark.parametrize("form", ["/ws/{lk}", "/private/ws/{lk}", "/private/ws?listenKey={lk}"])
async def test_user_stream_gets_order_and_account_updates_after_a_fill(sim, alice_api, form):
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http:  # noqa: SIM117
        async with http.ws_connect(sim.ws_url + form.format(lk=lk)) as ws:
            await asyncio.sleep(0.05)
            o = alice_api.ok(
                "POST",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quantity="0.010",
                newClientOrderId="u-1",
            )
            new = await recv_until(ws, lambda m: m["e"] == "ORDER_TRADE_UPDATE")
            assert new["o"]["x"] == "NEW" and new["o"]["c"] == "u-1"
            trade = await recv_until(ws, lambda m: m["e"] == "ORDER_TRADE_UPDATE")
            t = trade["o"]
            assert t["x"] == "TRADE" and t["X"] == "FILLED" and t["i"] == o["orderId"]
            assert (t["l"], t["z"], t["L"], t["ap"]) == (
                "0.010",
                "0.010",
                "60000.00",
                "60000.00000",
            )
            assert t["N"] == "USDT" and t["n"] == "0.24000000" and t["rp"] == "0.00000000"
            assert t["t"] > 0 and t["m"] is False
            acct = await recv_until(ws, lambda m: m["e"] == "ACCOUNT_UPDATE")
            assert acct["a"]["m"] == "ORDER"
            assert acct["a"]["B"][0]["wb"] == "9999.76000000"
            assert (
                acct["a"]["P"][0]["pa"] == "0.010" and acct["a"]["P"][0]["ep"] == "60000.00000000"
            )


async def test_user_stream_gets_config_and_algo_updates(sim, alice_api):
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        await asyncio.sleep(0.05)
        alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=12)
        m = await recv_until(ws, lambda m: m["e"] == "ACCOUNT_CONFIG_UPDATE")
        assert m["ac"] == {"s": "BTCUSDT", "l": 12}
        alice_api.ok(
            "POST",
            "/fapi/v1/algoOrder",
            algoType="CONDITIONAL",
            symbol="BTCUSDT",
            side="BUY",
            type="STOP_MARKET",
            triggerPrice="60100",
            quantity="0.01",
            clientAlgoId="a-1",
        )
        m = await recv_until(ws, lambda m: m["e"] == "ALGO_UPDATE")
        assert m["o"]["X"] == "NEW" and m["o"]["caid"] == "a-1"
        sim.control.set_price("BTCUSDT", "60100")
        m = await recv_until(ws, lambda m: m["e"] == "ALGO_UPDATE")
        assert m["o"]["X"] == "TRIGGERED" and m["o"]["ai"]
        m = await recv_until(ws, lambda m: m["e"] == "ALGO_UPDATE")
        assert m["o"]["X"] == "FINISHED"


async def test_user_stream_gets_margin_call(sim, alice_api):
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        await asyncio.sleep(0.05)
        alice_api.ok(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="3"
        )
        sim.control.set_price("BTCUSDT", "57000")  # maintenance 805 of 928 margin balance
        m = await recv_until(ws, lambda m: m["e"] == "MARGIN_CALL")
        assert m["p"][0]["s"] == "BTCUSDT" and m["p"][0]["pa"] == "3.000"


async def test_listen_key_expires_unless_kept_alive(sim):
    import requests

    lk = listen_key(sim)
    hdr = {"X-MBX-APIKEY": ALICE[0]}
    assert listen_key(sim) == lk  # same key while active
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        assert requests.put(f"{sim.base_url}/fapi/v1/listenKey", headers=hdr, timeout=5).ok
        sim.control.clock(3_600_001)
        m = await recv_until(ws, lambda m: m["e"] == "listenKeyExpired")
        assert m["listenKey"] == lk and isinstance(m["E"], str)
        await wait_closed(ws)
    r = requests.put(f"{sim.base_url}/fapi/v1/listenKey", headers=hdr, timeout=5)
    assert r.json()["code"] == -1125
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(f"{sim.ws_url}/ws/{lk}")


async def test_listen_key_delete_closes_it(sim):
    import requests

    lk = listen_key(sim)
    hdr = {"X-MBX-APIKEY": ALICE[0]}
    assert requests.delete(f"{sim.base_url}/fapi/v1/listenKey", headers=hdr, timeout=5).json() == {}
    assert listen_key(sim) != lk


async def test_a_kline_stream_sends_the_final_bar_once_when_it_closes(live):
    """Like Binance: "x": true marks the last update of a bar, sent once when the bar ends."""
    # frozen mid-minute: only the step below ends a bar, wherever the real minute is
    now = live.control.state()["server_time"]
    live.control.freeze_clock(at_ms=now - now % 60_000 + 30_000)
    url = live.ws_url + "/ws/ethusdt@kline_1m"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        first = await recv_json(ws, 5)
        assert first["k"]["x"] is False and first["k"]["i"] == "1m"
        open_ms = first["k"]["t"]
        live.control.clock(60_000)  # the server's minute ends
        final = await recv_until(ws, lambda m: m["k"]["x"], timeout=5)
        assert final["k"]["t"] == open_ms and final["k"]["T"] == open_ms + 59_999
        after = [await recv_json(ws, 5) for _ in range(4)]
    assert all(m["k"]["t"] == open_ms + 60_000 and not m["k"]["x"] for m in after)


async def test_a_frozen_clock_moves_only_when_advanced(live):
    now = live.control.state()["server_time"]
    at = now - now % 60_000 + 30_000
    assert live.control.freeze_clock(at_ms=at)["serverTime"] == at
    url = live.ws_url + "/ws/btcusdt@kline_1m"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        bars = [await recv_json(ws, 5) for _ in range(5)]
        assert {m["k"]["t"] for m in bars} == {at - 30_000}
        assert not any(m["k"]["x"] for m in bars)
    import requests

    assert requests.get(live.base_url + "/fapi/v1/time", timeout=5).json() == {"serverTime": at}
    assert live.control.clock(1_500)["serverTime"] == at + 1_500
    thawed = live.control.thaw_clock()
    assert thawed["frozen"] is False and thawed["serverTime"] >= now
