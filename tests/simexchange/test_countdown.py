"""The dead-man switch: countdownCancelAll on the stand-in's frozen clock, no wall-time sleeps."""

from __future__ import annotations

import signal

import pytest
from binance.error import ClientError
from binance.um_futures import UMFutures

from simexchange.testing import SimProcess

from .conftest import ALICE, BOB, ServerClockClient


@pytest.fixture
def frozen(sim):
    sim.control.freeze_clock()
    yield sim
    sim.control.thaw_clock()


@pytest.fixture
def alice_api(sim):
    return ServerClockClient(sim.base_url, *ALICE)


@pytest.fixture
def bob_api(sim):
    return ServerClockClient(sim.base_url, *BOB)


def um_for(sim, key=ALICE) -> UMFutures:
    # the connector stamps requests with the wall clock; a frozen server clock stays close
    return UMFutures(key=key[0], secret=key[1], base_url=sim.base_url)


def rest(api, sym="BTCUSDT", price="59000.00", qty="0.010"):
    return api.limit(price, qty, symbol=sym)


def open_ids(api, sym=None):
    params = {"symbol": sym} if sym else {}
    return sorted(o["orderId"] for o in api.ok("GET", "/fapi/v1/openOrders", **params))


def step(sim, ms):
    sim.control.clock(ms)


def test_orders_survive_until_the_countdown_runs_out_then_all_go(frozen, alice_api):
    sim = frozen
    a, b = rest(alice_api), rest(alice_api, price="58000.00")
    eth = rest(alice_api, sym="ETHUSDT", price="2900.00", qty="0.100")
    answer = um_for(sim).countdown_cancel_order(symbol="BTCUSDT", countdownTime=120000)
    assert answer == {"symbol": "BTCUSDT", "countdownTime": "120000"}
    step(sim, 119_999)
    assert open_ids(alice_api, "BTCUSDT") == sorted([a["orderId"], b["orderId"]])
    step(sim, 1)
    assert open_ids(alice_api, "BTCUSDT") == []
    gone = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=a["orderId"])
    assert gone["status"] == "CANCELED"
    # another symbol's orders are not touched
    assert open_ids(alice_api, "ETHUSDT") == [eth["orderId"]]


def test_a_heartbeat_pushes_the_deadline_back_and_zero_disarms(frozen, alice_api):
    sim = frozen
    o = rest(alice_api)
    um_for(sim).countdown_cancel_order(symbol="BTCUSDT", countdownTime=60000)
    step(sim, 50_000)
    beat = {"symbol": "BTCUSDT", "countdownTime": "60000"}
    assert alice_api.ok("POST", "/fapi/v1/countdownCancelAll", **beat) == beat  # heartbeat
    step(sim, 50_000)
    assert open_ids(alice_api) == [o["orderId"]]
    stop = alice_api.ok("POST", "/fapi/v1/countdownCancelAll", symbol="BTCUSDT", countdownTime=0)
    assert stop == {"symbol": "BTCUSDT", "countdownTime": "0"}
    step(sim, 3_600_000)
    assert open_ids(alice_api) == [o["orderId"]]


def test_the_timer_fires_once_then_new_orders_stay(frozen, alice_api):
    sim = frozen
    rest(alice_api)
    um_for(sim).countdown_cancel_order(symbol="BTCUSDT", countdownTime=1000)
    step(sim, 1000)
    assert open_ids(alice_api) == []
    later = rest(alice_api)
    step(sim, 10_000)
    assert open_ids(alice_api) == [later["orderId"]]


def test_one_accounts_countdown_never_cancels_another_accounts_orders(frozen, alice_api, bob_api):
    sim = frozen
    mine = rest(alice_api)
    theirs = rest(bob_api)
    um_for(sim, BOB).countdown_cancel_order(symbol="BTCUSDT", countdownTime=5000)
    step(sim, 5000)
    assert open_ids(bob_api) == []
    assert open_ids(alice_api) == [mine["orderId"]]
    assert theirs["orderId"] != mine["orderId"]


def test_stop_orders_on_the_algo_endpoint_are_kept(frozen, alice_api):
    sim = frozen
    alice_api.ok(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity="0.010",
    )
    stop = alice_api.ok(
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="55000",
        quantity="0.010",
    )
    rest(alice_api)
    um_for(sim).countdown_cancel_order(symbol="BTCUSDT", countdownTime=1000)
    step(sim, 1000)
    assert open_ids(alice_api) == []
    algos = alice_api.ok("GET", "/fapi/v1/openAlgoOrders", symbol="BTCUSDT")
    assert [a["algoId"] for a in algos] == [stop["algoId"]]


def test_bad_countdown_requests_are_refused_and_arm_nothing(frozen, alice_api):
    sim = frozen
    o = rest(alice_api)
    um = um_for(sim)
    for value in ("-1", "soon", "1.5"):
        r = alice_api.call(
            "POST", "/fapi/v1/countdownCancelAll", symbol="BTCUSDT", countdownTime=value
        )
        assert r.status_code == 400 and r.json()["code"] == -1102, value
    assert alice_api.err("POST", "/fapi/v1/countdownCancelAll", symbol="BTCUSDT") == (400, -1102)
    with pytest.raises(ClientError) as exc:
        um.countdown_cancel_order(symbol="NOPE", countdownTime=1000)
    assert exc.value.error_code == -1121
    r = alice_api.call("POST", "/fapi/v1/countdownCancelAll", symbol="BTCUSDT", countdownTime=1)
    assert r.status_code == 200 and r.headers["X-MBX-USED-WEIGHT-1M"] != "0"
    um.countdown_cancel_order(symbol="BTCUSDT", countdownTime=0)
    step(sim, 60_000)
    assert open_ids(alice_api) == [o["orderId"]]


def test_a_reset_disarms_every_timer(frozen, alice_api):
    sim = frozen
    um_for(sim).countdown_cancel_order(symbol="BTCUSDT", countdownTime=1000)
    sim.control.reset()
    sim.control.freeze_clock()
    o = rest(alice_api)
    step(sim, 5000)
    assert open_ids(alice_api) == [o["orderId"]]


def test_an_armed_timer_survives_a_sigkill_and_fires_after_the_restart(tmp_path):
    """The dead-man switch must not be disarmed by a crash of the exchange."""
    env = {
        "SIM_API_KEYS": f"{ALICE[0]}:{ALICE[1]}",
        "SIM_STATE_FILE": str(tmp_path / "sim.json"),
        "SIM_SEED": "5",
        "SIM_FEED_RUNNING": "false",
    }
    proc = SimProcess(env=env).start()
    try:
        proc.control.set_price("BTCUSDT", "60000")
        api = ServerClockClient(proc.base_url, *ALICE)
        o = rest(api)
        api.ok("POST", "/fapi/v1/countdownCancelAll", symbol="BTCUSDT", countdownTime=600_000)
    finally:
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(10)
    with SimProcess(env=env) as again:
        api = ServerClockClient(again.base_url, *ALICE)
        assert open_ids(api) == [o["orderId"]]
        # the wall clock runs here (a restart does not keep a frozen clock): a minute of slack
        again.control.clock(540_000)
        assert open_ids(api) == [o["orderId"]]
        again.control.clock(120_000)  # past the deadline armed before the kill
        assert open_ids(api) == []
