"""Streams beyond the basic set, every URL form real clients use, and Binance's socket limits.

All on a frozen server clock (it moves only by `POST /_sim/clock`) and a paused feed, so no
assertion depends on where the real minute is. Silence is proved with a marker: a
LIST_SUBSCRIPTIONS reply queued after the event that would have pushed; whatever arrives before
the reply is everything the event produced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal

import aiohttp
import pytest
import requests

from simexchange.testing import RunningSim, running_simexchange

from .conftest import ALICE, BOB, Client

MINUTE = 60_000


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSim]:
    keys = f"{ALICE[0]}:{ALICE[1]},{BOB[0]}:{BOB[1]}"
    with running_simexchange(api_keys=keys, feed_running=False, seed=7, tick_ms=50) as sim:
        yield sim


@pytest.fixture
def sim(server: RunningSim) -> RunningSim:
    c = server.control
    c.reset()
    c.feed(False)
    c.set_price("BTCUSDT", "60000")
    c.set_price("ETHUSDT", "3000")
    server.frozen_at = c.freeze_clock()["serverTime"]  # only clock() moves it now
    yield server
    c.thaw_clock()


class FrozenClient(Client):
    """Signed calls stamped with the frozen server time (the wall goes on; -1021 otherwise)."""

    def __init__(self, sim: RunningSim, key: str, secret: str):
        super().__init__(sim.base_url, key, secret)
        self.at = sim.frozen_at

    def call(self, method, path, body=False, **params):
        params.setdefault("timestamp", self.at)
        return super().call(method, path, body, **params)


@pytest.fixture
def alice(sim: RunningSim) -> Client:
    return FrozenClient(sim, *ALICE)


@pytest.fixture
def bob(sim: RunningSim) -> Client:
    return FrozenClient(sim, *BOB)


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> dict:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    if msg.type != aiohttp.WSMsgType.TEXT:
        raise ConnectionError(f"socket ended: {msg}")
    return json.loads(msg.data)


async def until_marker(ws: aiohttp.ClientWebSocketResponse, marker_id: int) -> list[dict]:
    """Send LIST_SUBSCRIPTIONS and return every frame received before its reply."""
    await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": marker_id})
    frames = []
    while True:
        m = await recv(ws)
        if isinstance(m, dict) and m.get("id") == marker_id:
            return frames
        frames.append(m)


async def subscribe(ws, params: list[str], req_id: int = 1) -> dict:
    await ws.send_json({"method": "SUBSCRIBE", "params": params, "id": req_id})
    while True:
        m = await recv(ws)
        if isinstance(m, dict) and m.get("id") == req_id:
            return m


def listen_key(sim: RunningSim, key: str = ALICE[0]) -> str:
    r = requests.post(f"{sim.base_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": key}, timeout=5)
    return r.json()["listenKey"]


# ---------------------------------------------------------------- continuous klines


async def test_a_perpetual_continuous_kline_stream_matches_the_rest_bar_and_closes_once(sim):
    url = sim.ws_url + "/market/ws/btcusdt_perpetual@continuousKline_1m"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        first = await recv(ws)
        assert set(first) == {"e", "E", "ps", "ct", "k"}
        assert (first["e"], first["ps"], first["ct"]) == (
            "continuous_kline",
            "BTCUSDT",
            "PERPETUAL",
        )
        k = first["k"]
        assert "s" not in k and k["i"] == "1m" and k["x"] is False
        open_ms = k["t"]
        assert open_ms % MINUTE == 0 and k["T"] == open_ms + MINUTE - 1
        rest = requests.get(
            sim.base_url + "/fapi/v1/continuousKlines",
            params={"pair": "BTCUSDT", "contractType": "PERPETUAL", "interval": "1m", "limit": 1},
            timeout=5,
        ).json()[0]
        assert rest[0] == open_ms
        assert [k["o"], k["h"], k["l"], k["c"], k["v"]] == rest[1:6]
        assert k["c"] == "60000.00"
        sim.control.clock(open_ms + MINUTE - sim.frozen_at)  # the bar ends
        final = first
        while not final["k"]["x"]:
            final = await recv(ws)
        assert final["k"]["t"] == open_ms and final["e"] == "continuous_kline"
        after = [await recv(ws) for _ in range(3)]
    assert all(m["k"]["t"] == open_ms + MINUTE and not m["k"]["x"] for m in after)


async def test_quarterly_continuous_klines_subscribe_and_stay_silent_bad_names_are_refused(sim):
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + "/stream") as ws:
        quarterly = [
            "btcusdt_current_quarter@continuousKline_1m",
            "btcusdt_next_quarter@continuousKline_5m",
        ]
        assert await subscribe(ws, [*quarterly, "ethusdt_perpetual@continuousKline_1m"]) == {
            "result": None,
            "id": 1,
        }
        frames = [await recv(ws) for _ in range(4)]
        assert {f["stream"] for f in frames} == {"ethusdt_perpetual@continuousKline_1m"}
        assert frames[0]["data"]["ps"] == "ETHUSDT"
        for bad in (
            "btcusdt_weekly@continuousKline_1m",
            "btcusdt_perpetual@continuousKline_7m",
            "btcusdt@continuousKline_1m",
            "BTCUSDT_perpetual@continuousKline_1m",
        ):
            reply = await subscribe(ws, [bad], req_id=2)
            assert reply["code"] == 2 and bad in reply["msg"]
            await asyncio.sleep(0.15)  # stay under 10 incoming messages a second
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 3})
        while (m := await recv(ws)).get("id") != 3:
            pass
        assert sorted(m["result"]) == sorted([*quarterly, "ethusdt_perpetual@continuousKline_1m"])


# ---------------------------------------------------------------- liquidation orders


async def test_a_liquidation_is_pushed_on_its_symbol_and_the_all_market_stream_only(
    sim, alice, bob
):
    sim.control.balances(api_key=ALICE[0], futures={"USDT": "100"})
    alice.ok("POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.03")
    url = (
        sim.ws_url + "/market/stream?streams=btcusdt@forceOrder/ethusdt@forceOrder/!forceOrder@arr"
    )
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        # an ordinary fill and a price move that leaves margin: no forced order
        bob.ok(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01"
        )
        sim.control.set_price("BTCUSDT", "58000")
        assert await until_marker(ws, 90) == []
        sim.control.set_price("BTCUSDT", "55000")  # 100 USDT cannot carry 0.03 BTC here
        frames = await until_marker(ws, 91)
    assert sorted(f["stream"] for f in frames) == ["!forceOrder@arr", "btcusdt@forceOrder"]
    for f in frames:
        d = f["data"]
        assert d["e"] == "forceOrder"
        o = d["o"]
        assert (o["s"], o["S"], o["o"], o["f"], o["X"]) == (
            "BTCUSDT",
            "SELL",
            "LIMIT",
            "IOC",
            "FILLED",
        )
        assert o["q"] == o["l"] == o["z"] == "0.030"
        assert o["ap"].startswith("55000.")
    pos = alice.ok("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")[0]
    assert Decimal(pos["positionAmt"]) == 0


# ---------------------------------------------------------------- URL forms


@pytest.mark.parametrize(
    ("path", "subscribe_after"),
    [
        ("/ws/btcusdt@kline_1m", False),
        ("/ws/ethusdt@bookTicker/btcusdt@kline_1m", False),
        ("/market/ws/btcusdt@kline_1m", False),
        ("/public/ws/btcusdt@kline_1m", False),
        ("/market/ws/1", True),  # ccxt.pro: a connection index, streams by SUBSCRIBE
        ("/public/ws/2", True),
        ("/ws", True),
    ],
)
async def test_raw_market_url_forms(sim, path, subscribe_after):
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + path) as ws:
        if subscribe_after:
            assert (await subscribe(ws, ["btcusdt@kline_1m"]))["result"] is None
        while (m := await recv(ws)).get("e") != "kline":
            pass
        assert m["s"] == "BTCUSDT" and m["k"]["c"] == "60000.00" and "stream" not in m


@pytest.mark.parametrize(
    "path",
    [
        "/stream?streams=btcusdt@kline_1m/ethusdt@markPrice",
        "/market/stream?streams=btcusdt@kline_1m/ethusdt@markPrice",
        "/public/stream?streams=btcusdt@kline_1m/ethusdt@markPrice",
        "/market/stream/3?streams=btcusdt@kline_1m/ethusdt@markPrice",
    ],
)
async def test_combined_market_url_forms(sim, path):
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + path) as ws:
        seen = {}
        while len(seen) < 2:
            m = await recv(ws)
            assert set(m) == {"stream", "data"}
            seen[m["stream"]] = m["data"]
    assert seen["btcusdt@kline_1m"]["k"]["c"] == "60000.00"
    assert seen["ethusdt@markPrice"]["p"] == "3000.00"


@pytest.mark.parametrize(
    ("form", "wrapped"),
    [
        ("/ws/{lk}", False),
        ("/private/ws/{lk}", False),
        ("/private/ws/{lk}/1", False),  # with a trailing connection index
        ("/private/ws?listenKey={lk}", False),  # ccxt.pro's form
        ("/private/stream?listenKey={lk}", True),
        ("/private/stream", True),  # Binance's SDK: the key comes in a SUBSCRIBE
    ],
)
async def test_user_data_url_forms(sim, alice, form, wrapped):
    lk = listen_key(sim)
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(sim.ws_url + form.format(lk=lk)) as ws,
    ):
        if "{lk}" not in form:
            assert (await subscribe(ws, [lk]))["result"] is None
        assert await until_marker(ws, 50) == []  # attached, nothing sent yet
        alice.ok(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002"
        )
        frames = await until_marker(ws, 51)
    if wrapped:
        assert {f["stream"] for f in frames} == {lk}
        frames = [f["data"] for f in frames]
    kinds = [(f["e"], f.get("o", {}).get("X")) for f in frames]
    assert kinds == [
        ("ORDER_TRADE_UPDATE", "NEW"),
        ("ORDER_TRADE_UPDATE", "FILLED"),
        ("ACCOUNT_UPDATE", None),
    ]


async def test_a_private_socket_with_events_gets_only_those_events(sim, alice):
    lk = listen_key(sim)
    url = f"{sim.ws_url}/private/ws?listenKey={lk}&events=ACCOUNT_UPDATE/ACCOUNT_CONFIG_UPDATE"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        assert await until_marker(ws, 60) == []
        alice.ok(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002"
        )
        alice.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=5)
        frames = await until_marker(ws, 61)
    assert [f["e"] for f in frames] == ["ACCOUNT_UPDATE", "ACCOUNT_CONFIG_UPDATE"]


async def test_another_accounts_events_never_reach_a_socket(sim, bob):
    lk = listen_key(sim)
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sim.ws_url}/private/ws/{lk}") as ws,
    ):
        assert await until_marker(ws, 70) == []
        bob.ok(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002"
        )
        assert await until_marker(ws, 71) == []


@pytest.mark.parametrize(
    "form", ["/ws/{bad}", "/private/ws/{bad}", "/private/ws?listenKey={bad}", "/private/ws/{bad}/1"]
)
async def test_an_unknown_listen_key_is_refused_at_the_handshake(sim, form):
    bad = "x" * 64
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await http.ws_connect(sim.ws_url + form.format(bad=bad))
    assert exc.value.status == 400


# ---------------------------------------------------------------- limits


async def test_ten_incoming_messages_a_second_are_served_the_eleventh_closes(sim):
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + "/ws") as ws:
        for i in range(10):
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": i})
        replies = [await recv(ws) for _ in range(10)]
        assert [r["id"] for r in replies] == list(range(10))
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 10})
        msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1008


def two_hundred_names() -> list[str]:
    symbols = ("btcusdt", "ethusdt", "solusdt", "bnbusdt")
    intervals = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d")
    kinds = [f"kline_{i}" for i in intervals] + ["aggTrade", "bookTicker", "forceOrder"]
    names = [f"{s}@{k}" for s in symbols for k in kinds]  # 64
    names += [
        f"{s}_{ct}@continuousKline_{i}"
        for s in symbols
        for ct in ("perpetual", "current_quarter", "next_quarter")
        for i in intervals
    ]  # 156
    return names[:200]


async def test_two_hundred_streams_fit_one_more_is_refused_and_nothing_changes(sim):
    names = two_hundred_names()
    assert len(set(names)) == 200
    extra = ["btcusdt@markPrice", "ethusdt@markPrice"]
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(sim.ws_url + "/ws") as ws:
            assert (await subscribe(ws, names[:199]))["result"] is None
            await asyncio.sleep(0.2)
            # two new names with one slot left: refused whole, the list stays at 199
            refused = await subscribe(ws, extra, req_id=2)
            assert refused["code"] == 2 and "200" in refused["msg"]
            await asyncio.sleep(0.2)
            # re-subscribing held names takes no slot
            assert (await subscribe(ws, [*names[:5], names[199]], req_id=3))["result"] is None
            await asyncio.sleep(0.2)
            assert (await subscribe(ws, extra[:1], req_id=4))["code"] == 2
            await asyncio.sleep(0.2)
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 5})
            while (m := await recv(ws)).get("id") != 5:
                pass
            assert sorted(m["result"]) == sorted(names)
        url = sim.ws_url + "/stream?streams=" + "/".join([*names, extra[0]])
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await http.ws_connect(url)
        assert exc.value.status == 400
        async with http.ws_connect(sim.ws_url + "/stream?streams=" + "/".join(names)) as ws:
            m = await recv(ws)
            assert m["stream"] in names


@pytest.mark.parametrize("req_id", [7, "5e1b9714-2b5e-49e4-80a1-8adae5d782a3", "abc", None])
async def test_request_ids_binance_accepts_are_echoed(sim, req_id):
    """Binance's SDK sends UUID strings as ids; a refusal would leave its streams silent."""
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + "/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m"], "id": req_id})
        while "e" in (m := await recv(ws)):
            pass
        assert m == {"result": None, "id": req_id}
        assert (await recv(ws))["e"] == "kline"


@pytest.mark.parametrize("req_id", [-1, True, 1.5, "", "x" * 37, "has space", "ü", [1], {"a": 1}])
async def test_request_ids_binance_refuses_get_code_2_and_subscribe_nothing(sim, req_id):
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + "/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m"], "id": req_id})
        assert (await recv(ws))["code"] == 2
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
        assert await recv(ws) == {"result": [], "id": 1}
