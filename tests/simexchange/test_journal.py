"""SIM_STATE_FILE durability: what the stand-in acknowledged survives a SIGKILL right after.

The stand-in runs as a real process; it is killed (SIGKILL, no clean stop) immediately after the
last answer, then restarted on the same state file.
"""

from __future__ import annotations

import json
import signal
from decimal import Decimal as D

import pytest
from websockets.sync.client import connect

from simexchange.config import ConfigError, Settings
from simexchange.persistence import Store
from simexchange.testing import SimProcess, running_simexchange

from .conftest import Client
from .ws_api_client import WsApi

PRICE = D("60000")
FEE_PER_MARKET = PRICE * D("0.002") * D("0.0004")  # taker fee of one 0.002 BTC MARKET


def _env(state, sync: str = "fsync") -> dict[str, str]:
    return {
        "SIM_STATE_SYNC": sync,
        "SIM_API_KEYS": "k1:s1,k2:s2",
        "SIM_START_BALANCE": "10000",
        "SIM_STATE_FILE": str(state),
        "SIM_SEED": "9",
        "SIM_FEED_RUNNING": "false",
        "SIM_WEIGHT_LIMIT": "1000000",
    }


def _kill(proc: SimProcess) -> None:
    proc.proc.send_signal(signal.SIGKILL)
    assert proc.proc.wait(10) == -signal.SIGKILL


def _place(api: Client, i: int) -> dict:
    """Even i: a MARKET BUY that fills; odd i: a LIMIT BUY far below that rests."""
    if i % 2 == 0:
        return api.ok(
            "POST",
            "/fapi/v1/order",
            symbol="BTCUSDT",
            side="BUY",
            type="MARKET",
            quantity="0.002",
            newClientOrderId=f"o-{i}",
            newOrderRespType="RESULT",
        )
    return api.ok(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.003",
        price="50000",
        newClientOrderId=f"o-{i}",
    )


@pytest.mark.parametrize("sync", ["fsync", "write"])
def test_every_acknowledged_order_fill_position_and_balance_survives_a_sigkill(tmp_path, sync):
    state = tmp_path / "sim.json"
    n = 40
    proc = SimProcess(env=_env(state, sync)).start()
    try:
        proc.control.set_price("BTCUSDT", PRICE)
        api = Client(proc.base_url, "k1", "s1")
        api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=9)
        answers = [_place(api, i) for i in range(n)]
        # the last mutation before the kill: a cancel, acknowledged, then SIGKILL at once
        cancelled = api.ok("DELETE", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="o-1")
        _kill(proc)
    finally:
        proc.stop()
    assert cancelled["status"] == "CANCELED"
    filled = [a for a in answers if a["type"] == "MARKET"]
    assert all(a["status"] == "FILLED" for a in filled)

    with SimProcess(env=_env(state, sync)) as proc:
        api = Client(proc.base_url, "k1", "s1")
        every = {
            o["clientOrderId"]: o for o in api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT")
        }
        assert set(every) == {f"o-{i}" for i in range(n)}
        for a in answers:
            kept = every[a["clientOrderId"]]
            assert kept["orderId"] == a["orderId"]
            assert kept["executedQty"] == a["executedQty"]
        assert every["o-1"]["status"] == "CANCELED"
        assert {o["clientOrderId"] for o in api.ok("GET", "/fapi/v1/openOrders")} == {
            f"o-{i}" for i in range(3, n, 2)
        }
        trades = api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT", limit=1000)
        assert sorted(t["orderId"] for t in trades) == sorted(a["orderId"] for a in filled)
        pos = api.ok("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")[0]
        assert D(pos["positionAmt"]) == D("0.002") * len(filled)
        assert D(pos["entryPrice"]) == PRICE and pos["leverage"] == "9"
        wallet = D(api.ok("GET", "/fapi/v2/balance")[0]["balance"])
        assert wallet == D("10000") - FEE_PER_MARKET * len(filled)
        # the other account was never touched
        other = Client(proc.base_url, "k2", "s2")
        assert D(other.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("10000")
        # ids go on from where they were: a new order never reuses an acknowledged id
        new = _place(api, n)
        assert new["orderId"] > max(a["orderId"] for a in answers)


@pytest.mark.parametrize("sync", ["fsync", "write"])
def test_an_order_placed_over_the_ws_api_survives_a_sigkill_right_after_its_answer(tmp_path, sync):
    state = tmp_path / "sim.json"
    proc = SimProcess(env=_env(state, sync)).start()
    try:
        proc.control.set_price("BTCUSDT", PRICE)
        with connect(proc.ws_url + "/ws-fapi/v1") as ws:
            api = WsApi(ws, ("k1", "s1"))
            filled = api.ok(
                "order.place",
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quantity="0.002",
                newClientOrderId="ws-fill",
                newOrderRespType="RESULT",
            )
            # the last mutation: its answer is read, then SIGKILL at once
            resting = api.ok(
                "order.place",
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                timeInForce="GTC",
                quantity="0.003",
                price="50000",
                newClientOrderId="ws-rest",
            )
            _kill(proc)
    finally:
        proc.stop()
    assert (filled["status"], resting["status"]) == ("FILLED", "NEW")

    with SimProcess(env=_env(state, sync)) as proc:
        api = Client(proc.base_url, "k1", "s1")
        every = {
            o["clientOrderId"]: o for o in api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT")
        }
        assert set(every) == {"ws-fill", "ws-rest"}
        for answer in (filled, resting):
            kept = every[answer["clientOrderId"]]
            assert (kept["orderId"], kept["status"], kept["executedQty"]) == (
                answer["orderId"],
                answer["status"],
                answer["executedQty"],
            )
        (still_open,) = api.ok("GET", "/fapi/v1/openOrders", symbol="BTCUSDT")
        assert (still_open["orderId"], still_open["price"]) == (resting["orderId"], "50000.00")
        pos = api.ok("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")[0]
        assert D(pos["positionAmt"]) == D("0.002") and D(pos["entryPrice"]) == PRICE
        wallet = D(api.ok("GET", "/fapi/v2/balance")[0]["balance"])
        assert wallet == D("10000") - FEE_PER_MARKET
        # the next id goes on from the last acknowledged one
        assert _place(api, 1)["orderId"] > resting["orderId"]


def test_kills_and_restarts_in_a_row_lose_nothing_and_a_torn_line_is_dropped(tmp_path):
    state = tmp_path / "sim.json"
    placed: list[int] = []
    for round_ in range(3):
        proc = SimProcess(env=_env(state)).start()
        try:
            if round_ == 0:
                proc.control.set_price("BTCUSDT", PRICE)
            api = Client(proc.base_url, "k1", "s1")
            for i in range(4):
                placed.append(_place(api, round_ * 10 + i * 2)["orderId"])  # MARKET fills
            _kill(proc)
        finally:
            proc.stop()
        # a write cut half-way by the kill: never acknowledged, so it must be ignored
        with open(f"{state}.journal", "a") as fh:
            fh.write('{"seq": 999999, "accounts": {"k1": {"set": {"wallet": "1')
    with SimProcess(env=_env(state)) as proc:
        api = Client(proc.base_url, "k1", "s1")
        got = [o["orderId"] for o in api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT")]
        assert sorted(got) == sorted(placed)
        wallet = D(api.ok("GET", "/fapi/v2/balance")[0]["balance"])
        assert wallet == D("10000") - FEE_PER_MARKET * len(placed)
    # the clean stop folded the journal into the snapshot
    assert (tmp_path / "sim.json.journal").read_bytes() == b""
    assert len(json.loads(state.read_text())["accounts"]["k1"]["trades"]) == len(placed)


def test_a_reset_and_balance_changes_made_through_the_control_surface_survive_a_kill(tmp_path):
    state = tmp_path / "sim.json"
    proc = SimProcess(env=_env(state)).start()
    try:
        proc.control.set_price("BTCUSDT", PRICE)
        api = Client(proc.base_url, "k1", "s1")
        _place(api, 0)
        proc.control.reset()
        proc.control.balances(api_key="k2", futures={"USDT": "123.45"})
        proc.control.set_price("ETHUSDT", "2500")
        _kill(proc)
    finally:
        proc.stop()
    with SimProcess(env=_env(state)) as proc:
        api = Client(proc.base_url, "k1", "s1")
        assert api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT") == []
        assert api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT") == []
        assert D(api.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("10000")
        other = Client(proc.base_url, "k2", "s2")
        assert D(other.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("123.45")
        assert proc.control.state()["prices"]["ETHUSDT"]["last"] == "2500"


def test_replaying_the_journal_over_the_snapshot_gives_the_live_state(tmp_path):
    """Whatever mix of orders, fills, cancels, algo orders and settings: replay == live."""
    state = tmp_path / "sim.json"
    with running_simexchange(
        api_keys="k1:s1,k2:s2", feed_running=False, state_file=str(state), seed=4
    ) as sim:
        c = sim.control
        c.set_price("BTCUSDT", PRICE)
        c.set_price("ETHUSDT", "3000")
        a, b = Client(sim.base_url, "k1", "s1"), Client(sim.base_url, "k2", "s2")
        a.ok("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
        for i in range(6):
            _place(a, i)
        b.ok(
            "POST", "/fapi/v1/order", symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.05"
        )
        b.ok(
            "POST",
            "/fapi/v1/algoOrder",
            algoType="CONDITIONAL",
            symbol="ETHUSDT",
            side="BUY",
            type="STOP_MARKET",
            quantity="0.05",
            triggerPrice="3100",
        )
        c.set_price("BTCUSDT", "49000")  # the resting LIMITs at 50000 fill on this move
        c.set_price("ETHUSDT", "3150")  # the stop triggers and closes b's short
        a.ok("DELETE", "/fapi/v1/allOpenOrders", symbol="BTCUSDT")
        live = sim.sim.store.snapshot()
        replayed = Store(str(state), sim.sim)._read()
    for key in ("k1", "k2"):
        assert replayed["accounts"][key] == live["accounts"][key]
    for name in ("counters", "prices", "listen_keys", "btcturk"):
        assert replayed[name] == live[name]
    assert len(live["accounts"]["k1"]["trades"]) == 6  # 3 MARKET + 3 LIMIT fills
    assert any(o["status"] == "FINISHED" for o in live["accounts"]["k2"]["algo_orders"].values())


@pytest.mark.parametrize("value", ["FSYNC", "none", "0", "true"])
def test_an_unknown_sync_mode_stops_the_start(value):
    with pytest.raises(ConfigError, match="SIM_STATE_SYNC"):
        Settings.from_env(env={"SIM_STATE_SYNC": value})
