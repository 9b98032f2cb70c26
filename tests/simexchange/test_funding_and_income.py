"""Funding, income and commission on the stand-in: real sockets, frozen clock, no wall waits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
import websocket
from binance.error import ClientError
from binance.um_futures import UMFutures

from simexchange.market import SYMBOLS
from simexchange.testing import running_simexchange

from .conftest import ALICE, BOB, ServerClockClient

EIGHT_HOURS = 8 * 3_600_000


def um(sim, key=ALICE) -> UMFutures:
    return UMFutures(key=key[0], secret=key[1], base_url=sim.base_url)


def market(api, side, qty, symbol="BTCUSDT"):
    return api.ok("POST", "/fapi/v1/order", symbol=symbol, side=side, type="MARKET", quantity=qty)


def wallet(sim, key=ALICE) -> Decimal:
    return Decimal(sim.control.state()["accounts"][key[0]]["wallet"])


def user_stream(sim, key=ALICE) -> websocket.WebSocket:
    lk = requests.post(
        sim.base_url + "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": key[0]}, timeout=5
    ).json()["listenKey"]
    return websocket.create_connection(f"{sim.ws_url}/ws/{lk}", timeout=5)


def next_event(ws, pred) -> dict:
    """The first pushed event matching pred (the socket's own timeout bounds the wait)."""
    while True:
        event = json.loads(ws.recv())
        if pred(event):
            return event


def is_funding(event: dict) -> bool:
    return event.get("e") == "ACCOUNT_UPDATE" and event["a"]["m"] == "FUNDING_FEE"


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


def test_a_long_pays_and_a_short_receives_and_wallet_income_and_stream_agree(
    frozen, alice_api, bob_api
):
    sim = frozen
    market(alice_api, "BUY", "0.010")
    market(bob_api, "SELL", "0.020")
    sim.control.set_price("BTCUSDT", "60000", mark="60100.10")
    sim.control.funding("BTCUSDT", "0.0003")
    assert um(sim).mark_price(symbol="BTCUSDT")["lastFundingRate"] == "0.00030000"
    ws_a, ws_b = user_stream(sim, ALICE), user_stream(sim, BOB)
    before_a, before_b = wallet(sim, ALICE), wallet(sim, BOB)

    sim.control.settle_funding("BTCUSDT")

    ev_a, ev_b = next_event(ws_a, is_funding), next_event(ws_b, is_funding)
    ws_a.close()
    ws_b.close()
    paid, received = Decimal("-0.18030030"), Decimal("0.36060060")
    assert wallet(sim, ALICE) - before_a == paid
    assert wallet(sim, BOB) - before_b == received
    assert Decimal(ev_a["a"]["B"][0]["bc"]) == paid
    assert Decimal(ev_a["a"]["B"][0]["wb"]) == wallet(sim, ALICE)
    assert ev_a["a"]["P"] == []  # a cross position: Binance pushes the balance only
    assert Decimal(ev_b["a"]["B"][0]["bc"]) == received
    rows_a = um(sim).get_income_history(incomeType="FUNDING_FEE")
    rows_b = um(sim, BOB).get_income_history(incomeType="FUNDING_FEE")
    assert [(r["symbol"], Decimal(r["income"]), r["asset"]) for r in rows_a] == [
        ("BTCUSDT", paid, "USDT")
    ]
    assert [Decimal(r["income"]) for r in rows_b] == [received]
    assert isinstance(rows_a[0]["tranId"], int) and rows_a[0]["tradeId"] == ""
    assert rows_a[0]["tranId"] != rows_b[0]["tranId"]
    history = um(sim).funding_rate(symbol="BTCUSDT")
    assert [(h["fundingRate"], h["markPrice"]) for h in history] == [
        ("0.00030000", "60100.10000000")
    ]


def test_a_negative_rate_reverses_the_signs_and_an_isolated_position_is_pushed(
    frozen, alice_api, bob_api
):
    sim = frozen
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
    market(alice_api, "BUY", "1.000", symbol="ETHUSDT")
    market(bob_api, "SELL", "1.000", symbol="ETHUSDT")
    sim.control.funding("ETHUSDT", "-0.0005")
    iw_before = Decimal(
        sim.control.state()["accounts"][ALICE[0]]["positions"]["ETHUSDT"]["isolated_wallet"]
    )
    ws = user_stream(sim)
    sim.control.settle_funding("ETHUSDT")
    event = next_event(ws, is_funding)
    ws.close()
    assert Decimal(event["a"]["B"][0]["bc"]) == Decimal("1.50000000")  # 1 × 3000 × 0.0005
    [pos] = event["a"]["P"]
    assert pos["s"] == "ETHUSDT" and pos["mt"] == "isolated"
    assert Decimal(pos["iw"]) == iw_before + Decimal("1.5")
    bob_rows = bob_api.ok("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
    assert [Decimal(r["income"]) for r in bob_rows] == [Decimal("-1.50000000")]


def test_stepping_the_frozen_clock_past_a_funding_time_settles_exactly_once(frozen, alice_api):
    sim = frozen
    market(alice_api, "BUY", "0.010")
    server = alice_api.ok("GET", "/fapi/v1/time")["serverTime"]
    due = alice_api.ok("GET", "/fapi/v1/premiumIndex", symbol="BTCUSDT")["nextFundingTime"]
    assert due % EIGHT_HOURS == 0 and due > server

    sim.control.clock(due - server - 1)
    assert alice_api.ok("GET", "/fapi/v1/income", incomeType="FUNDING_FEE") == []
    before = wallet(sim)
    sim.control.clock(1)
    sim.control.clock(60_000)
    rows = alice_api.ok("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
    assert [r["time"] for r in rows] == [due]
    assert wallet(sim) - before == Decimal(rows[0]["income"]) == Decimal("-0.06000000")
    history = alice_api.ok("GET", "/fapi/v1/fundingRate", startTime=due, endTime=due)
    assert sorted(h["symbol"] for h in history) == sorted(SYMBOLS)
    assert {h["fundingTime"] for h in history} == {due}
    assert (
        alice_api.ok("GET", "/fapi/v1/premiumIndex", symbol="BTCUSDT")["nextFundingTime"]
        == due + EIGHT_HOURS
    )

    sim.control.clock(2 * EIGHT_HOURS)  # two more funding times passed: two more settlements
    rows = alice_api.ok("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
    assert [r["time"] for r in rows] == [due, due + EIGHT_HOURS, due + 2 * EIGHT_HOURS]


def test_fill_income_matches_user_trades_and_the_wallet_to_the_last_decimal(sim, alice_api):
    start = wallet(sim)
    market(alice_api, "BUY", "0.010")
    sim.control.set_price("BTCUSDT", "61000")
    market(alice_api, "SELL", "0.010")
    sim.control.settle_funding()  # flat again: no funding row
    trades = alice_api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
    assert len(trades) == 2 and {t["marginAsset"] for t in trades} == {"USDT"}
    rows = alice_api.ok("GET", "/fapi/v1/income")
    by_kind: dict[str, list] = {}
    for r in rows:
        by_kind.setdefault(r["incomeType"], []).append(r)
    assert set(by_kind) == {"COMMISSION", "REALIZED_PNL"}
    assert [(r["tradeId"], Decimal(r["income"])) for r in by_kind["COMMISSION"]] == [
        (str(t["id"]), -Decimal(t["commission"])) for t in trades
    ]
    [pnl] = by_kind["REALIZED_PNL"]
    assert pnl["tradeId"] == str(trades[1]["id"])
    assert Decimal(pnl["income"]) == Decimal(trades[1]["realizedPnl"]) > 0
    assert sum(Decimal(r["income"]) for r in rows) == wallet(sim) - start
    assert len({(r["incomeType"], r["tranId"]) for r in rows}) == len(rows)
    assert um(sim).commission_rate(symbol="BTCUSDT") == {
        "symbol": "BTCUSDT",
        "makerCommissionRate": "0.0002",
        "takerCommissionRate": "0.0004",
    }


def test_income_pages_filters_and_another_account(frozen, alice_api, bob_api):
    sim = frozen
    market(alice_api, "BUY", "0.010")
    for _ in range(5):
        sim.control.clock(1000)
        sim.control.settle_funding("BTCUSDT")
    everything = alice_api.ok("GET", "/fapi/v1/income")
    assert [r["incomeType"] for r in everything] == ["COMMISSION"] + ["FUNDING_FEE"] * 5
    assert [r["time"] for r in everything] == sorted(r["time"] for r in everything)
    pages = [alice_api.ok("GET", "/fapi/v1/income", limit=2, page=n) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [2, 2, 2, 0]
    assert [r for p in pages for r in p] == everything
    funding = alice_api.ok("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
    assert funding == everything[1:]
    assert alice_api.ok("GET", "/fapi/v1/income", symbol="ETHUSDT") == []
    window = alice_api.ok(
        "GET", "/fapi/v1/income", startTime=funding[1]["time"], endTime=funding[3]["time"]
    )
    assert window == funding[1:4]  # both ends inclusive
    after = alice_api.ok("GET", "/fapi/v1/income", startTime=funding[4]["time"])
    assert after == funding[4:]
    assert alice_api.ok("GET", "/fapi/v1/income", limit=1) == everything[:1]
    # another account's rows are never visible
    assert bob_api.ok("GET", "/fapi/v1/income") == []
    # nothing older than seven days when no time is sent
    sim.control.clock(7 * 86_400_000 + 60_000)
    assert alice_api.ok("GET", "/fapi/v1/income", incomeType="COMMISSION") == []
    assert alice_api.ok("GET", "/fapi/v1/income", startTime=0, incomeType="COMMISSION") != []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 1001},
        {"limit": 0},
        {"page": 0},
        {"incomeType": "FREE_MONEY"},
        {"symbol": "DOGEUSDT"},
        {"startTime": "yesterday"},
    ],
)
def test_income_refuses_bad_parameters(sim, alice_api, params):
    status, code = alice_api.err("GET", "/fapi/v1/income", **params)
    assert status == 400 and code in (-1102, -1121, -1100)


def test_funding_rate_history_limits_and_the_connector(sim):
    for rate in ("0.0001", "0.0002", "-0.0003"):
        sim.control.funding("BTCUSDT", rate)
        sim.control.settle_funding("BTCUSDT")
    client = um(sim)
    rows = client.funding_rate(symbol="BTCUSDT")
    assert [r["fundingRate"] for r in rows] == ["0.00010000", "0.00020000", "-0.00030000"]
    assert all(isinstance(r["fundingTime"], int) for r in rows)
    assert [r["fundingRate"] for r in client.funding_rate(symbol="BTCUSDT", limit=2)] == [
        "0.00020000",
        "-0.00030000",
    ]
    assert client.funding_rate(symbol="ETHUSDT") == []
    with pytest.raises(ClientError) as exc:
        client.funding_rate(symbol="BTCUSDT", limit=1001)
    assert exc.value.error_code == -1102
    info = requests.get(sim.base_url + "/fapi/v1/fundingInfo", timeout=5).json()
    assert {i["symbol"] for i in info} >= {"BTCUSDT", "ETHUSDT"}
    assert all(i["fundingIntervalHours"] == 8 for i in info)
    mark = client.mark_price(symbol="BTCUSDT")
    assert mark["lastFundingRate"] == "-0.00030000" and mark["interestRate"] == "0.00010000"


@pytest.mark.parametrize("rate", ["0.0076", "-0.01", "abc", None])
def test_the_rate_knob_refuses_out_of_cap_or_bad_rates(sim, rate):
    body = {"symbol": "BTCUSDT"} | ({} if rate is None else {"rate": rate})
    r = requests.post(sim.base_url + "/_sim/funding", json=body, timeout=5)
    assert r.status_code == 400
    mark = requests.get(sim.base_url + "/fapi/v1/premiumIndex?symbol=BTCUSDT", timeout=5).json()
    assert mark["lastFundingRate"] == "0.00010000"


def test_a_wallet_set_by_the_control_surface_is_a_transfer(sim, alice_api):
    sim.control.balances(api_key=ALICE[0], futures={"USDT": "12500.5"})
    rows = alice_api.ok("GET", "/fapi/v1/income", incomeType="TRANSFER")
    assert [(r["symbol"], Decimal(r["income"])) for r in rows] == [("", Decimal("2500.5"))]


def test_reset_clears_rates_history_and_income(sim, alice_api):
    market(alice_api, "BUY", "0.010")
    sim.control.funding("BTCUSDT", "0.0007")
    sim.control.settle_funding()
    assert alice_api.ok("GET", "/fapi/v1/income") != []
    sim.control.reset()
    assert alice_api.ok("GET", "/fapi/v1/income") == []
    assert um(sim).funding_rate(symbol="BTCUSDT") == []
    assert um(sim).mark_price(symbol="BTCUSDT")["lastFundingRate"] == "0.00010000"


def test_funding_state_survives_a_restart_through_the_state_file(tmp_path):
    state = str(tmp_path / "sim.json")
    keys = f"{ALICE[0]}:{ALICE[1]}"
    with running_simexchange(api_keys=keys, feed_running=False, state_file=state) as s:
        api = ServerClockClient(s.base_url, *ALICE)
        market(api, "BUY", "0.010")
        s.control.funding("BTCUSDT", "0.0002")
        s.control.settle_funding("BTCUSDT")
        before = api.ok("GET", "/fapi/v1/income")
    with running_simexchange(api_keys=keys, feed_running=False, state_file=state) as s:
        api = ServerClockClient(s.base_url, *ALICE)
        assert api.ok("GET", "/fapi/v1/income") == before
        assert [h["fundingRate"] for h in um(s).funding_rate(symbol="BTCUSDT")] == ["0.00020000"]
        assert um(s).mark_price(symbol="BTCUSDT")["lastFundingRate"] == "0.00020000"


def ccxt_for(sim, key=ALICE):
    import ccxt

    ex = ccxt.binanceusdm(
        {
            "apiKey": key[0],
            "secret": key[1],
            "options": {"fetchCurrencies": False, "fetchMarkets": ["linear"]},
        }
    )
    for name, url in list(ex.urls["api"].items()):
        if isinstance(url, str) and url.startswith("https://fapi.binance.com"):
            ex.urls["api"][name] = url.replace("https://fapi.binance.com", sim.base_url)
    ex.load_markets()
    return ex


def test_ccxt_reads_funding_ledger_and_fees_from_the_stand_in(sim):
    ex = ccxt_for(sim)
    ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
    sim.control.funding("BTCUSDT", "0.0002")
    sim.control.settle_funding("BTCUSDT")
    [history] = ex.fetch_funding_rate_history("BTC/USDT:USDT")
    assert history["fundingRate"] == 0.0002 and history["symbol"] == "BTC/USDT:USDT"
    [paid] = ex.fetch_funding_history("BTC/USDT:USDT")
    assert paid["amount"] == -0.12 and paid["code"] == "USDT"
    ledger = ex.fetch_ledger()
    assert [(e["type"], e["direction"], e["amount"]) for e in ledger] == [
        ("commission", "out", 0.24),
        ("fee", "out", 0.12),
    ]
    fee = ex.fetch_trading_fee("BTC/USDT:USDT")
    assert (fee["maker"], fee["taker"]) == (0.0002, 0.0004)
    rate = ex.fetch_funding_rate("BTC/USDT:USDT")
    assert rate["fundingRate"] == 0.0002 and rate["fundingTimestamp"] % EIGHT_HOURS == 0


def test_a_funding_fee_that_eats_the_isolated_margin_liquidates(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="ETHUSDT", marginType="ISOLATED")
    alice_api.ok("POST", "/fapi/v1/leverage", symbol="ETHUSDT", leverage=100)
    market(alice_api, "BUY", "1.000", symbol="ETHUSDT")
    sim.control.funding("ETHUSDT", "0.0075")  # 22.5 USDT from a 30 USDT margin, 12 maintenance
    sim.control.settle_funding("ETHUSDT")
    rows = alice_api.ok("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT")
    assert [Decimal(r["positionAmt"]) for r in rows] == [0]
    orders = alice_api.ok("GET", "/fapi/v1/allOrders", symbol="ETHUSDT")
    assert any(o["clientOrderId"].startswith("autoclose-") for o in orders)


@pytest.mark.parametrize("path", ["/fapi/v1/income", "/fapi/v1/commissionRate?symbol=BTCUSDT"])
def test_money_reads_need_a_signed_request(sim, path):
    r = requests.get(sim.base_url + path, headers={"X-MBX-APIKEY": ALICE[0]}, timeout=5)
    assert r.status_code == 400 and r.json()["code"] in (-1102, -1022)
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) >= 20


def test_a_hedge_account_settles_each_side_with_its_own_sign(frozen, alice_api):
    """In hedge mode the LONG side pays and the SHORT side receives, one row and event each."""
    sim = frozen
    alice_api.ok("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")
    try:
        for side, ps, qty in (("BUY", "LONG", "0.030"), ("SELL", "SHORT", "0.010")):
            alice_api.ok(
                "POST",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side=side,
                positionSide=ps,
                type="MARKET",
                quantity=qty,
            )
        sim.control.set_price("BTCUSDT", "60000", mark="60000")
        sim.control.funding("BTCUSDT", "0.0001")
        ws = user_stream(sim, ALICE)
        before = wallet(sim, ALICE)

        sim.control.settle_funding("BTCUSDT")

        events = [next_event(ws, is_funding) for _ in range(2)]
        ws.close()
        long_fee, short_fee = Decimal("-0.18000000"), Decimal("0.06000000")
        assert sorted(Decimal(e["a"]["B"][0]["bc"]) for e in events) == [long_fee, short_fee]
        assert wallet(sim, ALICE) - before == long_fee + short_fee
        rows = um(sim).get_income_history(incomeType="FUNDING_FEE")
        assert sorted(Decimal(r["income"]) for r in rows) == [long_fee, short_fee]
    finally:
        for side, ps, qty in (("SELL", "LONG", "0.030"), ("BUY", "SHORT", "0.010")):
            alice_api.ok(
                "POST",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side=side,
                positionSide=ps,
                type="MARKET",
                quantity=qty,
            )
        alice_api.ok("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")
