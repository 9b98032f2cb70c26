"""Position actions per side on a hedge-mode account (issue 22): close, TP/SL, trailing, margin.

The stand-in is switched to hedge mode the way a trader switches Binance; what each test asserts
is the stand-in's own positions and orders of each side (what really happened on the exchange),
not only Spark's rows. A one-way account keeps working as before (tests/futures/
test_position_actions.py); here a side named on it is a 409, a side left out on a hedge one 400.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Order
from futures.position_mode import position_mode_forget
from tests.support.hedge import ACTIONS, SYMBOL, algos, go_hedge, market, sent, sides, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange(exchange):
    position_mode_forget()  # a reading of another test's account must not carry over
    yield exchange
    position_mode_forget()


def _post(api, token, path, **body):
    return api.post(path, {"symbol": SYMBOL, **body}, token=token)


# -------------------------------------------------------------------------------- close


def test_closing_the_long_leaves_the_short_as_it_is(api, alice, token_for, exchange):
    go_hedge(exchange)
    r = _post(
        api,
        token_for(alice),
        "/futures/position.close",
        positionSide="LONG",
        dryRun=False,
        clientOrderId="hc-long",
    )
    assert r.status_code == 200, r.content
    order = r.json()["order"]
    assert (order["side"], order["positionSide"], order["reduceOnly"]) == ("SELL", "LONG", False)
    assert order["status"] == "FILLED"
    assert Decimal(order["quantity"]) == Decimal("0.02")
    assert sides(exchange) == {"LONG": 0, "SHORT": Decimal("-0.01")}
    (sent_order,) = signed(exchange, "GET", "/fapi/v1/allOrders", symbol=SYMBOL)[-1:]
    assert (sent_order["positionSide"], sent_order["reduceOnly"]) == ("LONG", False)
    assert AuditEntry.objects.filter(
        action="order.place", target=SYMBOL, outcome="ok", payload__positionSide="LONG"
    ).exists()


def test_a_short_closes_in_parts_with_buys_on_its_side(api, alice, token_for, exchange):
    go_hedge(exchange, long="0.02", short="0.03")
    token = token_for(alice)
    r = _post(
        api,
        token,
        "/futures/position.close",
        positionSide="SHORT",
        quantity="0.01",
        dryRun=False,
    )
    assert r.status_code == 200, r.content
    assert (r.json()["order"]["side"], r.json()["order"]["positionSide"]) == ("BUY", "SHORT")
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.02")}
    r = _post(api, token, "/futures/position.close", positionSide="SHORT", dryRun=False)
    assert r.status_code == 200, r.content
    assert Decimal(r.json()["order"]["quantity"]) == Decimal("0.02")
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": 0}


def test_a_close_bigger_than_the_side_is_422_and_nothing_is_sent(api, alice, token_for, exchange):
    go_hedge(exchange, long="0.01", short="0.05")
    before = sent(exchange)
    r = api.post(
        "/futures/position.close",
        {"symbol": SYMBOL, "positionSide": "LONG", "quantity": "0.02", "dryRun": False},
        token=token_for(alice),
        lang="en",
    )
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["details"]["fields"][0]["field"] == "quantity"
    assert error["details"]["limit"] == "0.01"  # the LONG's size, not the SHORT's 0.05
    assert sent(exchange) == before
    assert sides(exchange) == {"LONG": Decimal("0.01"), "SHORT": Decimal("-0.05")}
    assert AuditEntry.objects.filter(action="position.close", outcome="rejected").exists()
    assert not Order.objects.exists()


def test_closing_a_side_with_no_position_is_the_no_position_conflict(
    api, alice, token_for, exchange
):
    go_hedge(exchange, long="0.01", short="0")
    r = _post(api, token_for(alice), "/futures/position.close", positionSide="SHORT", dryRun=False)
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "NO_POSITION"
    assert error["details"]["positionSide"] == "SHORT"
    assert "SHORT" in error["message"]
    assert sides(exchange) == {"LONG": Decimal("0.01"), "SHORT": 0}


@pytest.mark.parametrize("path", list(ACTIONS))
@pytest.mark.parametrize("absent_or_both", [{}, {"positionSide": "BOTH"}])
def test_a_hedge_action_without_its_side_is_400_and_nothing_is_sent(
    api, alice, token_for, exchange, path, absent_or_both
):
    go_hedge(exchange)
    before = sent(exchange)
    extra, action = ACTIONS[path]
    r = _post(api, token_for(alice), path, **extra, **absent_or_both, dryRun=False)
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "POSITION_SIDE_REQUIRED"
    assert [f["field"] for f in error["details"]["fields"]] == ["positionSide"]
    assert "çift yönlü" in error["message"]  # the page's language: Turkish first
    assert sent(exchange) == before
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}
    assert AuditEntry.objects.filter(action=action, outcome="rejected").exists()


@pytest.mark.parametrize("path", list(ACTIONS))
@pytest.mark.parametrize("side", ["LONG", "SHORT"])
def test_a_side_on_a_one_way_account_is_409_and_nothing_is_sent(
    api, alice, token_for, exchange, path, side
):
    market(exchange, "BUY", None, "0.01")
    before = sent(exchange)
    extra, action = ACTIONS[path]
    r = _post(api, token_for(alice), path, **extra, positionSide=side, dryRun=False)
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "POSITION_SIDE_MISMATCH"
    assert sent(exchange) == before
    assert sides(exchange) == {"BOTH": Decimal("0.01")}
    assert AuditEntry.objects.filter(action=action, outcome="rejected").exists()


def test_one_way_actions_with_both_still_work(api, alice, token_for, exchange):
    market(exchange, "BUY", None, "0.02")
    token = token_for(alice)
    r = _post(
        api, token, "/futures/position.close", positionSide="BOTH", quantity="0.01", dryRun=False
    )
    assert r.status_code == 200, r.content
    order = r.json()["order"]
    assert (order["side"], order["positionSide"], order["reduceOnly"]) == ("SELL", "BOTH", True)
    assert sides(exchange) == {"BOTH": Decimal("0.01")}


# -------------------------------------------------------------------------------- TP/SL


def test_tp_and_sl_go_on_each_side_and_replacing_the_long_leaves_the_short(
    api, alice, token_for, exchange
):
    go_hedge(exchange)
    token = token_for(alice)
    r = _post(
        api,
        token,
        "/futures/position.protect",
        positionSide="LONG",
        takeProfit="3600",
        stopLoss="3200",
        dryRun=False,
        clientOrderId="pl",
    )
    assert r.status_code == 200, r.content
    # A SHORT's TP is below the mark and its SL above: the side's own rule.
    r = _post(
        api,
        token,
        "/futures/position.protect",
        positionSide="SHORT",
        takeProfit="3200",
        stopLoss="3600",
        dryRun=False,
        clientOrderId="ps",
    )
    assert r.status_code == 200, r.content
    placed = {p["order"]["clientOrderId"]: p["order"] for p in r.json()["placed"]}
    assert {(o["side"], o["positionSide"]) for o in placed.values()} == {("BUY", "SHORT")}
    on_exchange = {a["clientAlgoId"]: a for a in algos(exchange)}
    assert set(on_exchange) == {"pl-tp", "pl-sl", "ps-tp", "ps-sl"}
    for cid, algo in on_exchange.items():
        assert algo["positionSide"] == ("LONG" if cid.startswith("pl") else "SHORT")
        assert algo["closePosition"] is True and algo["reduceOnly"] is False

    # Moving the LONG's stop cancels the LONG's stop only.
    r = _post(
        api,
        token,
        "/futures/position.protect",
        positionSide="LONG",
        stopLoss="3250",
        dryRun=False,
        clientOrderId="pl2",
    )
    assert r.status_code == 200, r.content
    assert [o["clientOrderId"] for o in r.json()["replaced"]] == ["pl-sl"]
    assert {a["clientAlgoId"] for a in algos(exchange)} == {"pl-tp", "pl2-sl", "ps-tp", "ps-sl"}
    assert Order.objects.get(client_order_id="ps-sl").status == "NEW"

    # The LONG's stop fires: the LONG is closed, the SHORT is still there with its TP/SL.
    exchange.control.set_price(SYMBOL, "3240", mark="3240")
    assert sides(exchange) == {"LONG": 0, "SHORT": Decimal("-0.01")}
    assert {a["clientAlgoId"] for a in algos(exchange)} >= {"ps-tp", "ps-sl"}


@pytest.mark.parametrize(
    "side,field,price",
    [
        ("LONG", "stopLoss", "3500"),  # a long's stop above the mark would fire at once
        ("LONG", "takeProfit", "3300"),
        ("SHORT", "stopLoss", "3300"),  # a short's stop below the mark would fire at once
        ("SHORT", "takeProfit", "3500"),
    ],
)
def test_a_trigger_on_the_wrong_side_for_that_side_is_422(
    api, alice, token_for, exchange, side, field, price
):
    go_hedge(exchange)
    r = _post(
        api,
        token_for(alice),
        "/futures/position.protect",
        positionSide=side,
        dryRun=False,
        **{field: price},
    )
    assert r.status_code == 422, r.content
    assert r.json()["error"]["details"]["fields"][0]["field"] == field
    assert algos(exchange) == []


# ----------------------------------------------------------------------------- trailing


def test_trailing_stops_per_side_and_cancelling_one_leaves_the_other(
    api, alice, token_for, exchange
):
    go_hedge(exchange)
    token = token_for(alice)
    for side, cid, activation in (("LONG", "tl", "3500"), ("SHORT", "ts", "3300")):
        r = _post(
            api,
            token,
            "/futures/order.trailing",
            positionSide=side,
            callbackRate="1",
            activationPrice=activation,
            dryRun=False,
            clientOrderId=cid,
        )
        assert r.status_code == 200, r.content
        assert r.json()["order"]["reduceOnly"] is False
    on_exchange = {a["clientAlgoId"]: a for a in algos(exchange)}
    assert (on_exchange["tl"]["side"], on_exchange["tl"]["positionSide"]) == ("SELL", "LONG")
    assert (on_exchange["ts"]["side"], on_exchange["ts"]["positionSide"]) == ("BUY", "SHORT")
    assert Decimal(on_exchange["tl"]["quantity"]) == Decimal("0.02")
    assert Decimal(on_exchange["ts"]["quantity"]) == Decimal("0.01")
    assert all(a["reduceOnly"] is False for a in on_exchange.values())

    r = api.post("/futures/order.cancel", {"symbol": SYMBOL, "clientOrderId": "tl"}, token=token)
    assert r.status_code == 200, r.content
    assert [a["clientAlgoId"] for a in algos(exchange)] == ["ts"]


def test_a_trail_bigger_than_its_side_is_refused(api, alice, token_for, exchange):
    go_hedge(exchange, long="0.01", short="0.05")
    r = _post(
        api,
        token_for(alice),
        "/futures/order.trailing",
        positionSide="LONG",
        callbackRate="1",
        quantity="0.02",
        dryRun=False,
    )
    assert r.status_code == 422, r.content
    assert algos(exchange) == []


# ------------------------------------------------------------------------------- margin


def test_isolated_margin_moves_on_the_named_side_only(api, alice, token_for, exchange):
    token = token_for(alice)
    r = api.post("/futures/marginType", {"symbol": SYMBOL, "marginType": "ISOLATED"}, token=token)
    assert r.status_code == 200, r.content
    go_hedge(exchange)

    def wallets() -> dict[str, Decimal]:
        rows = signed(exchange, "GET", "/fapi/v2/positionRisk", symbol=SYMBOL)
        return {r["positionSide"]: Decimal(r["isolatedWallet"]) for r in rows}

    before = wallets()
    r = _post(api, token, "/futures/positionMargin", positionSide="SHORT", amount="5", type="ADD")
    assert r.status_code == 200, r.content
    assert r.json()["positionSide"] == "SHORT"
    assert Decimal(r.json()["isolatedMargin"]) == before["SHORT"] + 5
    assert wallets() == {"LONG": before["LONG"], "SHORT": before["SHORT"] + 5}
    r = _post(api, token, "/futures/positionMargin", positionSide="LONG", amount="3", type="ADD")
    assert r.status_code == 200, r.content
    assert wallets() == {"LONG": before["LONG"] + 3, "SHORT": before["SHORT"] + 5}
    r = _post(
        api, token, "/futures/positionMargin", positionSide="SHORT", amount="2", type="REDUCE"
    )
    assert r.status_code == 200, r.content
    assert wallets() == {"LONG": before["LONG"] + 3, "SHORT": before["SHORT"] + 3}
    entries = AuditEntry.objects.filter(action="positionMargin.change", outcome="ok")
    assert sorted(e.payload["positionSide"] for e in entries) == ["LONG", "SHORT", "SHORT"]


# ------------------------------------------------------------------------------ dry run


def test_a_dry_run_close_of_one_side_is_sized_from_that_side_and_sends_nothing(
    api, alice, token_for, exchange
):
    go_hedge(exchange, long="0.02", short="0.01")
    before = sent(exchange)
    r = _post(api, token_for(alice), "/futures/position.close", positionSide="SHORT")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["dryRun"] is True and body["executed"] == "simulated"
    assert (body["order"]["side"], body["order"]["positionSide"]) == ("BUY", "SHORT")
    assert Decimal(body["order"]["quantity"]) == Decimal("0.01")
    assert body["simulatedFill"] is not None
    assert sent(exchange) == before
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}


def test_dry_run_protection_rests_per_side_and_fills_on_paper_per_side(
    api, alice, token_for, exchange
):
    from futures.paper import fill_crossed

    go_hedge(exchange)
    token = token_for(alice)
    for side, tp, sl, cid in (("LONG", "3600", "3200", "dl"), ("SHORT", "3100", "3500", "ds")):
        r = _post(
            api,
            token,
            "/futures/position.protect",
            positionSide=side,
            takeProfit=tp,
            stopLoss=sl,
            clientOrderId=cid,
        )
        assert r.status_code == 200, r.content
        assert {p["order"]["status"] for p in r.json()["placed"]} == {"NEW"}  # resting
    # Replacing the SHORT's paper stop leaves the LONG's paper stop.
    r = _post(
        api, token, "/futures/position.protect", positionSide="SHORT", stopLoss="3450",
        clientOrderId="ds2",
    )  # fmt: skip
    assert [o["clientOrderId"] for o in r.json()["replaced"]] == ["ds-sl"]
    assert Order.objects.get(client_order_id="dl-sl").status == "NEW"
    # 3620: the LONG's TP (SELL at >= 3600) and the SHORT's stop (BUY at >= 3450) fill.
    filled = {o.client_order_id for o in fill_crossed(SYMBOL, Decimal("3620"))}
    assert filled == {"dl-tp", "ds2-sl"}
    rows = {o.client_order_id: o for o in Order.objects.filter(dry_run=True)}
    assert rows["dl-tp"].position_side == "LONG" and rows["ds2-sl"].position_side == "SHORT"
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}
    assert sent(exchange) == 2  # only the two opening orders of go_hedge


# ------------------------------------------------------------------- attached TP/SL


def test_an_entry_on_the_short_side_gets_its_tp_sl_on_the_short(api, alice, token_for, exchange):
    go_hedge(exchange, long="0.02", short="0")
    r = api.post(
        "/futures/order.place",
        {
            "symbol": SYMBOL,
            "side": "SELL",
            "positionSide": "SHORT",
            "type": "MARKET",
            "quantity": "0.01",
            "takeProfit": "3200",
            "stopLoss": "3600",
            "dryRun": False,
            "clientOrderId": "entry-s",
        },
        token=token_for(alice),
    )
    assert r.status_code == 200, r.content
    legs = {o["clientOrderId"]: o for o in r.json()["protection"]["orders"]}
    assert {(o["side"], o["positionSide"]) for o in legs.values()} == {("BUY", "SHORT")}
    on_exchange = algos(exchange)
    assert {(a["positionSide"], a["closePosition"]) for a in on_exchange} == {("SHORT", True)}
    assert len(on_exchange) == 2
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}


def test_a_dry_run_entry_gets_paper_legs_on_its_side_without_reduce_only(
    api, alice, token_for, exchange
):
    go_hedge(exchange, long="0", short="0")
    r = api.post(
        "/futures/order.place",
        {
            "symbol": SYMBOL,
            "side": "BUY",
            "positionSide": "LONG",
            "type": "MARKET",
            "quantity": "0.01",
            "takeProfit": "3600",
            "stopLoss": "3200",
            "clientOrderId": "entry-dl",
        },
        token=token_for(alice),
    )
    assert r.status_code == 200, r.content
    legs = r.json()["protection"]["orders"]
    assert len(legs) == 2
    assert {(o["side"], o["positionSide"], o["reduceOnly"]) for o in legs} == {
        ("SELL", "LONG", False)
    }
    assert sent(exchange) == 0


def test_a_close_of_a_side_with_a_tp_sl_is_no_entry(api, alice, token_for, exchange):
    go_hedge(exchange)
    r = api.post(
        "/futures/order.place",
        {
            "symbol": SYMBOL,
            "side": "SELL",
            "positionSide": "LONG",
            "type": "MARKET",
            "quantity": "0.01",
            "stopLoss": "3600",
            "dryRun": False,
        },
        token=token_for(alice),
    )
    assert r.status_code == 422, r.content
    assert r.json()["error"]["details"]["fields"][0]["field"] == "stopLoss"
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}


def test_repeated_side_actions_answer_the_first_and_send_nothing_more(
    api, alice, token_for, exchange
):
    go_hedge(exchange)
    token = token_for(alice)
    bodies = [
        ("/futures/order.trailing", {"callbackRate": "1", "clientOrderId": "rt"}),
        ("/futures/position.protect", {"stopLoss": "3200", "clientOrderId": "rp"}),
        ("/futures/position.close", {"quantity": "0.01", "clientOrderId": "rc"}),
    ]
    for path, body in bodies:
        body = {"symbol": SYMBOL, "positionSide": "LONG", "dryRun": False, **body}
        assert api.post(path, body, token=token).status_code == 200
        before = sent(exchange)
        again = api.post(path, body, token=token)
        assert again.status_code == 200, again.content
        answer = again.json()
        executed = (
            [p["executed"] for p in answer["placed"]]
            if "placed" in answer
            else [answer["executed"]]
        )
        assert executed == ["existing"] * len(executed)
        assert sent(exchange) == before
    assert sides(exchange) == {"LONG": Decimal("0.01"), "SHORT": Decimal("-0.01")}
    assert {a["clientAlgoId"] for a in algos(exchange)} == {"rt", "rp-sl"}
