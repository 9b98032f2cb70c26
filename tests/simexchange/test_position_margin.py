"""Isolated margin transfer and leverage brackets on the stand-in, over real HTTP and the stream.

`POST /fapi/v1/positionMargin` moves USDT between the cross wallet and one isolated position
(its liquidation price moves with it); `GET /fapi/v1/leverageBracket` is the per-symbol table
the stand-in itself uses for maintenance margin, liquidation and the position cap per leverage.
"""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal as D

import aiohttp
import pytest

from simexchange.testing import SimProcess
from tests.support.sim_ws import listen_key, recv_until

from .conftest import Client

MARGIN = "/fapi/v1/positionMargin"
HISTORY = "/fapi/v1/positionMargin/history"


def isolated_long(api: Client, qty: str = "0.100", leverage: int = 10) -> dict:
    """An isolated BTCUSDT long at 60000: 600 USDT of margin at 10x for 0.1 BTC."""
    api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=leverage)
    api.market("BUY", qty)
    return api.position()


def test_adding_margin_moves_the_liquidation_price_away_and_reducing_brings_it_back(sim, alice_api):
    before = isolated_long(alice_api)
    assert D(before["isolatedWallet"]) == D("600")
    assert D(before["liquidationPrice"]) == D("54216.8")  # (600 - 6000) / (0.0004 - 0.1)
    wallet = D(alice_api.ok("GET", "/fapi/v3/account")["totalWalletBalance"])
    answer = alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="300", type=1)
    assert answer == {
        "amount": 300.0,
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": 1,
    }
    added = alice_api.position()
    assert D(added["isolatedWallet"]) == D("900")
    assert D(added["liquidationPrice"]) == D("51204.8")  # (900 - 6000) / -0.0996, floored
    account = alice_api.ok("GET", "/fapi/v3/account")
    # the wallet is unchanged: the money moved from its cross part into the position
    assert D(account["totalWalletBalance"]) == wallet
    assert D(account["totalCrossWalletBalance"]) == wallet - D("900")
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="300", type=2)
    assert alice_api.position()["liquidationPrice"] == before["liquidationPrice"]


def test_added_margin_keeps_the_position_alive_past_its_old_liquidation_price(sim, alice_api):
    isolated_long(alice_api)  # liquidation at 54216.8 with 600 of margin
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="300", type=1)
    sim.control.set_price("BTCUSDT", "53000")
    assert alice_api.position()["positionAmt"] == "0.100"
    # taking it out again at this price would leave less than the initial margin
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="300", type=2) == (400, -4051)
    sim.control.set_price("BTCUSDT", "51200")  # under the new 51204.8: liquidated
    assert alice_api.position()["positionAmt"] == "0"
    last = alice_api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT")[-1]
    assert (last["type"], last["clientOrderId"][:10]) == ("LIQUIDATION", "autoclose-")


def test_a_reduce_never_leaves_less_than_the_initial_margin(sim, alice_api):
    isolated_long(alice_api)
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="50", type=1)
    # 650 in the position, 600 initial margin at 10x: 50 may leave, 50.01 may not
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="50.01", type=2) == (400, -4051)
    sim.control.set_price("BTCUSDT", "59900")  # a 10 USDT loss counts against what may leave
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="45", type=2) == (400, -4051)
    # a profit is not money yet: at 61000 the initial margin is 610, so 40 may leave (not 140)
    sim.control.set_price("BTCUSDT", "61000")
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="45", type=2) == (400, -4051)
    sim.control.set_price("BTCUSDT", "60000")
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="50", type=2)
    assert D(alice_api.position()["isolatedWallet"]) == D("600")


def test_refusals_use_binances_codes_and_change_nothing(sim, alice_api):
    alice_api.market("BUY", "0.010")  # a cross position
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="10", type=1) == (400, -4049)
    alice_api.market("SELL", "0.010")
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="10", type=1) == (400, -4054)
    alice_api.market("BUY", "0.010")
    for amount, type_, code in (
        ("0", 1, -4055),
        ("10", 3, -1130),
        ("abc", 1, -1100),
        ("0.000000001", 1, -1111),
        ("20000", 1, -4050),  # more than the cross wallet holds
    ):
        assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount=amount, type=type_) == (
            400,
            code,
        ), amount
    assert alice_api.err("POST", MARGIN, symbol="NOPE", amount="10", type=1) == (400, -1121)
    assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", type=1)[1] == -1102
    # one-way mode takes no LONG/SHORT; nothing above moved the margin or wrote history
    assert alice_api.err(
        "POST", MARGIN, symbol="BTCUSDT", amount="10", type=1, positionSide="LONG"
    ) == (400, -4061)
    assert D(alice_api.position()["isolatedWallet"]) == D("30")
    assert alice_api.ok("GET", HISTORY, symbol="BTCUSDT") == []


def test_another_account_neither_moves_nor_sees_the_margin(sim, alice_api, bob_api):
    isolated_long(alice_api)
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="25", type=1)
    # bob holds no position: his own account answers, alice's is untouched
    bob_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    assert bob_api.err("POST", MARGIN, symbol="BTCUSDT", amount="25", type=2) == (400, -4054)
    assert bob_api.ok("GET", HISTORY, symbol="BTCUSDT") == []
    assert D(alice_api.position()["isolatedWallet"]) == D("625")
    assert len(alice_api.ok("GET", HISTORY, symbol="BTCUSDT")) == 1


def test_hedge_mode_moves_margin_per_side(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    alice_api.ok("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")
    try:
        alice_api.market("BUY", "0.010", positionSide="LONG")
        alice_api.market("SELL", "0.020", positionSide="SHORT")
        # hedge mode needs the side; BOTH (or none) is refused
        assert alice_api.err("POST", MARGIN, symbol="BTCUSDT", amount="5", type=1)[1] == -4061
        alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="5", type=1, positionSide="SHORT")
        rows = {
            r["positionSide"]: D(r["isolatedWallet"])
            for r in alice_api.ok("GET", "/fapi/v3/positionRisk", symbol="BTCUSDT")
        }
        # the short sold at the bid (59999.9): 59.9999 of margin at 20x, plus the 5 added
        assert rows == {"LONG": D("30"), "SHORT": D("64.9999")}
        (row,) = alice_api.ok("GET", HISTORY, symbol="BTCUSDT")
        assert (row["positionSide"], row["type"], row["amount"]) == ("SHORT", 1, "5")
    finally:
        alice_api.market("SELL", "0.010", positionSide="LONG")
        alice_api.market("BUY", "0.020", positionSide="SHORT")
        alice_api.ok("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")


def test_the_history_filters_by_type_and_time_and_keeps_binances_row_shape(sim, alice_api):
    isolated_long(alice_api)
    t0 = alice_api.ok("GET", "/fapi/v1/time")["serverTime"]
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="10", type=1)
    alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="4.5", type=2)
    rows = alice_api.ok("GET", HISTORY, symbol="BTCUSDT")
    assert [(r["type"], r["amount"], r["deltaType"], r["asset"]) for r in rows] == [
        (1, "10", "USER_ADJUST", "USDT"),
        (2, "4.5", "USER_ADJUST", "USDT"),
    ]
    assert set(rows[0]) == {
        "symbol",
        "type",
        "deltaType",
        "amount",
        "asset",
        "time",
        "positionSide",
    }
    assert all(r["time"] >= t0 for r in rows)
    assert [r["type"] for r in alice_api.ok("GET", HISTORY, symbol="BTCUSDT", type=2)] == [2]
    assert alice_api.ok("GET", HISTORY, symbol="BTCUSDT", limit=1) == rows[-1:]
    assert alice_api.ok("GET", HISTORY, symbol="BTCUSDT", endTime=t0 - 1) == []
    assert alice_api.ok("GET", HISTORY, symbol="ETHUSDT") == []
    day = 86_400_000
    assert alice_api.err("GET", HISTORY, symbol="BTCUSDT", startTime=t0, endTime=t0 - 1)[1] == (
        -1023
    )
    too_long = {"startTime": t0 - 31 * day, "endTime": t0}
    assert alice_api.err("GET", HISTORY, symbol="BTCUSDT", **too_long)[1] == -4165


async def test_a_transfer_is_an_account_update_with_reason_margin_transfer(sim, alice_api):
    isolated_long(alice_api)
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        await asyncio.sleep(0.05)
        alice_api.ok("POST", MARGIN, symbol="BTCUSDT", amount="12.5", type=1)
        m = await recv_until(ws, lambda m: m["e"] == "ACCOUNT_UPDATE")
        assert m["a"]["m"] == "MARGIN_TRANSFER"
        (p,) = m["a"]["P"]
        assert (p["s"], p["mt"], p["iw"], p["pa"]) == (
            "BTCUSDT",
            "isolated",
            "612.50000000",
            "0.100",
        )


def test_margin_history_and_the_multi_assets_flag_survive_a_sigkill(tmp_path):
    env = {
        "SIM_API_KEYS": "k1:s1",
        "SIM_STATE_FILE": str(tmp_path / "sim.json"),
        "SIM_SEED": "5",
        "SIM_FEED_RUNNING": "false",
    }
    proc = SimProcess(env=env).start()
    try:
        proc.control.set_price("BTCUSDT", "60000")
        api = Client(proc.base_url, "k1", "s1")
        isolated_long(api)
        for amount in ("1", "2", "3"):
            api.ok("POST", MARGIN, symbol="BTCUSDT", amount=amount, type=1)
        api.ok("POST", "/fapi/v1/multiAssetsMargin", multiAssetsMargin="true")
        before = api.ok("GET", HISTORY, symbol="BTCUSDT")
    finally:
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(10)
    with SimProcess(env=env) as again:
        api = Client(again.base_url, "k1", "s1")
        assert api.ok("GET", HISTORY, symbol="BTCUSDT") == before
        assert D(api.position()["isolatedWallet"]) == D("606")
        assert api.ok("GET", "/fapi/v1/multiAssetsMargin") == {"multiAssetsMargin": True}
        api.ok("POST", MARGIN, symbol="BTCUSDT", amount="4", type=1)
        assert [r["amount"] for r in api.ok("GET", HISTORY, symbol="BTCUSDT")] == [
            "1",
            "2",
            "3",
            "4",
        ]


# ---------------------------------------------------------------- leverage brackets


def test_each_symbol_has_its_own_brackets_and_one_symbol_is_one_object(sim, alice_api):
    every = {row["symbol"]: row for row in alice_api.ok("GET", "/fapi/v1/leverageBracket")}
    assert set(every) == {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"}
    assert [b["initialLeverage"] for b in every["BTCUSDT"]["brackets"]][:3] == [125, 100, 75]
    assert every["ETHUSDT"]["brackets"][0]["initialLeverage"] == 100
    assert every["SOLUSDT"]["brackets"][0]["initialLeverage"] == 75
    one = alice_api.ok("GET", "/fapi/v1/leverageBracket", symbol="BTCUSDT")
    assert one == every["BTCUSDT"]
    second = one["brackets"][1]
    assert (second["notionalFloor"], second["notionalCap"], second["cum"]) == (50000, 600000, 50.0)


def test_the_leverage_cap_of_each_symbol_is_its_first_bracket(sim, alice_api):
    assert alice_api.err("POST", "/fapi/v1/leverage", symbol="ETHUSDT", leverage=101) == (
        400,
        -4028,
    )
    assert alice_api.ok("POST", "/fapi/v1/leverage", symbol="ETHUSDT", leverage=100)["leverage"]
    r = alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=125)
    assert r["maxNotionalValue"] == "50000"  # the 125x bracket ends at 50 000 USDT
    assert alice_api.position()["maxNotionalValue"] == "50000"


def test_a_position_over_the_leverages_bracket_is_refused_with_2027(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=125)
    alice_api.market("BUY", "0.800")  # 48 000 USDT: inside the 125x bracket
    assert alice_api.err(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.050"
    ) == (400, -2027)  # 51 000 USDT would be past it
    # and leverage cannot go back up past what the position already holds
    alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=100)
    alice_api.market("BUY", "0.050")
    assert alice_api.err("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=125) == (
        400,
        -2027,
    )
    assert alice_api.position()["positionAmt"] == "0.850"


@pytest.mark.parametrize(
    "symbol,qty,price", [("BTCUSDT", "1.000", "60000"), ("ETHUSDT", "20", "3000")]
)
def test_maintenance_margin_and_liquidation_follow_the_published_brackets(
    sim, alice_api, symbol, qty, price
):
    """A client computing the liquidation price from leverageBracket gets the stand-in's."""
    alice_api.ok("POST", "/fapi/v1/marginType", symbol=symbol, marginType="ISOLATED")
    alice_api.ok("POST", "/fapi/v1/leverage", symbol=symbol, leverage=10)
    alice_api.market("BUY", qty, symbol=symbol)
    table = alice_api.ok("GET", "/fapi/v1/leverageBracket", symbol=symbol)["brackets"]
    notional = D(qty) * D(price)
    row = next(b for b in table if b["notionalFloor"] < notional <= b["notionalCap"])
    rate, cum = D(str(row["maintMarginRatio"])), D(str(row["cum"]))
    risk = alice_api.ok("GET", "/fapi/v3/positionRisk", symbol=symbol)[0]
    assert D(risk["maintMargin"]) == notional * rate - cum
    wallet = D(risk["isolatedWallet"])
    entry = D(risk["entryPrice"])  # a large market order walks the book: entry is above price
    expected = (wallet + cum - D(qty) * entry) / (D(qty) * rate - D(qty))
    assert abs(D(risk["liquidationPrice"]) - expected) < D("0.1")
