"""Acting on a position from the API: close (whole/part), TP/SL, trailing stop, margin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Order
from tests.support.stand_in import exchange_position

pytestmark = pytest.mark.django_db


def _open_long(api, token, qty="0.02", cid="open-1"):
    r = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": qty,
            "dryRun": False,
            "clientOrderId": cid,
        },
        token=token,
    )
    assert r.status_code == 200, r.content
    return r.json()


def _open_algos(exchange, symbol="ETHUSDT"):
    return exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol=symbol).json()


# -------------------------------------------------------------------------------- close


def test_it_closes_part_of_a_position_then_the_rest(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token)
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.02")
    r = api.post(
        "/futures/position.close",
        {"symbol": "ETHUSDT", "quantity": "0.01", "dryRun": False, "clientOrderId": "cl-part"},
        token=token,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["order"]["side"] == "SELL"
    assert body["order"]["reduceOnly"] is True
    assert body["order"]["status"] == "FILLED"
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")
    r = api.post("/futures/position.close", {"symbol": "ETHUSDT", "dryRun": False}, token=token)
    assert r.status_code == 200, r.content
    assert Decimal(r.json()["order"]["quantity"]) == Decimal("0.01")
    assert exchange_position(exchange, "ETHUSDT") == 0
    # audited like any order
    assert AuditEntry.objects.filter(action="order.place", target="ETHUSDT").count() == 3


def test_a_repeated_close_answers_the_first_order_and_closes_nothing_more(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    body = {"symbol": "ETHUSDT", "dryRun": False, "clientOrderId": "cl-once"}
    first = api.post("/futures/position.close", body, token=token)
    again = api.post("/futures/position.close", body, token=token)
    assert first.status_code == again.status_code == 200, again.content
    assert again.json()["executed"] == "existing"
    assert again.json()["order"]["clientOrderId"] == "cl-once"
    assert exchange_position(exchange, "ETHUSDT") == 0


def test_it_refuses_a_close_bigger_than_the_position(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post(
        "/futures/position.close",
        {"symbol": "ETHUSDT", "quantity": "0.05", "dryRun": False},
        token=token,
        lang="en",
    )
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["details"]["fields"][0]["field"] == "quantity"
    assert "0.01" in error["message"]
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")  # unchanged
    assert AuditEntry.objects.filter(action="position.close", outcome="rejected").exists()


def test_closing_without_a_position_is_a_clear_conflict(api, alice, token_for, exchange):
    r = api.post("/futures/position.close", {"symbol": "ETHUSDT"}, token=token_for(alice))
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "NO_POSITION"


def test_a_dry_run_close_is_the_default_and_leaves_the_position(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post("/futures/position.close", {"symbol": "ETHUSDT"}, token=token)
    assert r.status_code == 200, r.content
    assert r.json()["dryRun"] is True
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")


@pytest.mark.parametrize(
    "body",
    [
        {"symbol": "ETHUSDT", "dryRun": "false"},
        {"symbol": "ETHUSDT", "dryRun": 0},
        {"symbol": "ETHUSDT", "quantity": "-1"},
        {"symbol": "ETHUSDT", "quantity": "0"},
        {"symbol": "ETHUSDT", "quantity": "1e3"},
        {"symbol": "ETHUSDT", "quantity": "NaN"},
        {"symbol": "eth usdt"},
    ],
)
def test_strange_close_inputs_are_422(api, alice, token_for, exchange, body):
    r = api.post("/futures/position.close", body, token=token_for(alice))
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "path,body",
    [
        ("/futures/position.close", {"symbol": "ETHUSDT"}),
        ("/futures/position.protect", {"symbol": "ETHUSDT", "stopLoss": "3000"}),
        ("/futures/order.trailing", {"symbol": "ETHUSDT", "callbackRate": "1"}),
        ("/futures/order.modify", {"symbol": "ETHUSDT", "clientOrderId": "x", "price": "1"}),
        ("/futures/positionMargin", {"symbol": "ETHUSDT", "amount": "5", "type": "ADD"}),
    ],
)
def test_a_viewer_is_refused_and_audited(api, bob, token_for, exchange, path, body):
    r = api.post(path, body, token=token_for(bob))
    assert r.status_code == 403, r.content
    assert AuditEntry.objects.filter(actor_name="bob", outcome="denied").exists()


# -------------------------------------------------------------------------------- TP/SL


def test_tp_and_sl_go_to_the_algo_service_with_close_position(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post(
        "/futures/position.protect",
        {
            "symbol": "ETHUSDT",
            "takeProfit": "3600",
            "stopLoss": "3200",
            "dryRun": False,
            "clientOrderId": "prot-1",
        },
        token=token,
    )
    assert r.status_code == 200, r.content
    placed = r.json()["placed"]
    assert [p["order"]["type"] for p in placed] == ["TAKE_PROFIT_MARKET", "STOP_MARKET"]
    assert all(p["order"]["closePosition"] for p in placed)
    algos = {a["clientAlgoId"]: a for a in _open_algos(exchange)}
    assert set(algos) == {"prot-1-tp", "prot-1-sl"}
    assert algos["prot-1-sl"]["closePosition"] is True
    assert Decimal(algos["prot-1-sl"]["triggerPrice"]) == Decimal("3200")
    listed = api.get("/futures/openOrders", token=token, symbol="ETHUSDT").json()["orders"]
    assert {o["clientOrderId"] for o in listed if o["isAlgo"]} == {"prot-1-tp", "prot-1-sl"}


def test_moving_the_stop_replaces_the_earlier_one(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    body = {"symbol": "ETHUSDT", "stopLoss": "3200", "dryRun": False, "clientOrderId": "sl-a"}
    assert api.post("/futures/position.protect", body, token=token).status_code == 200
    body.update(stopLoss="3250", clientOrderId="sl-b")
    r = api.post("/futures/position.protect", body, token=token)
    assert r.status_code == 200, r.content
    assert [o["clientOrderId"] for o in r.json()["replaced"]] == ["sl-a-sl"]
    algos = _open_algos(exchange)
    assert [(a["clientAlgoId"], Decimal(a["triggerPrice"])) for a in algos] == [
        ("sl-b-sl", Decimal("3250"))
    ]
    assert Order.objects.get(client_order_id="sl-a-sl").status == "CANCELED"


def test_a_stop_on_the_wrong_side_of_the_mark_is_refused_before_sending(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post(
        "/futures/position.protect",
        {"symbol": "ETHUSDT", "stopLoss": "3500", "dryRun": False},
        token=token,
    )
    assert r.status_code == 422, r.content
    assert r.json()["error"]["details"]["fields"][0]["field"] == "stopLoss"
    assert _open_algos(exchange) == []


def test_a_protection_is_cancelable_by_its_owner_only(api, alice, make_user, token_for, exchange):
    carol = make_user("carol", "trader")
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    body = {"symbol": "ETHUSDT", "stopLoss": "3200", "dryRun": False, "clientOrderId": "own"}
    assert api.post("/futures/position.protect", body, token=token).status_code == 200
    cancel = {"symbol": "ETHUSDT", "clientOrderId": "own-sl"}
    r = api.post("/futures/order.cancel", cancel, token=token_for(carol))
    assert r.status_code == 403, r.content
    assert len(_open_algos(exchange)) == 1
    r = api.post("/futures/order.cancel", cancel, token=token)
    assert r.status_code == 200, r.content
    assert _open_algos(exchange) == []


# ----------------------------------------------------------------------------- trailing


def test_a_trailing_stop_carries_its_callback_and_activation(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post(
        "/futures/order.trailing",
        {
            "symbol": "ETHUSDT",
            "callbackRate": "1.5",
            "activationPrice": "3500",
            "dryRun": False,
            "clientOrderId": "trail-1",
        },
        token=token,
    )
    assert r.status_code == 200, r.content
    order = r.json()["order"]
    assert order["type"] == "TRAILING_STOP_MARKET"
    assert order["callbackRate"] == "1.5"
    (algo,) = _open_algos(exchange)
    assert algo["orderType"] == "TRAILING_STOP_MARKET"
    assert Decimal(algo["callbackRate"]) == Decimal("1.5")
    assert Decimal(algo["activatePrice"]) == Decimal("3500")
    assert Decimal(algo["quantity"]) == Decimal("0.01")
    assert algo["side"] == "SELL"


@pytest.mark.parametrize("rate", ["0", "0.05", "10.1", "11", "1.25", "-1", True])
def test_a_callback_rate_outside_binance_rules_is_422(api, alice, token_for, exchange, rate):
    r = api.post(
        "/futures/order.trailing",
        {"symbol": "ETHUSDT", "callbackRate": rate},
        token=token_for(alice),
    )
    assert r.status_code == 422, r.content
    assert _open_algos(exchange) == []


def test_a_trail_bigger_than_the_position_is_refused(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post(
        "/futures/order.trailing",
        {"symbol": "ETHUSDT", "callbackRate": "1", "quantity": "0.02", "dryRun": False},
        token=token,
    )
    assert r.status_code == 422, r.content
    assert _open_algos(exchange) == []


def _paper_trail(api, token, cid, **extra):
    r = api.post(
        "/futures/order.trailing",
        {"symbol": "ETHUSDT", "callbackRate": "1", "clientOrderId": cid, **extra},
        token=token,
    )
    assert r.status_code == 200, r.content
    assert r.json()["order"]["status"] == "NEW"  # a dry run: it rests on paper
    return Order.objects.get(client_order_id=cid)


def _feed(prices: list[str]) -> list[str]:
    """Each price through the paper matcher in turn; the client ids it filled."""
    from futures.paper import fill_crossed

    return [o.client_order_id for p in prices for o in fill_crossed("ETHUSDT", Decimal(p))]


def test_a_dry_run_trailing_stop_follows_the_high_and_fills_on_the_pullback(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    order = _paper_trail(api, token, "trail-paper")
    # Activates at the first price (Binance: the price at placement), then trails the high:
    # 3450 × (1 − 1 %) = 3415.50, so 3420 holds and 3415 fills.
    assert _feed(["3400", "3450", "3430", "3420"]) == []
    order.refresh_from_db()
    assert (order.status, order.trail_extreme) == ("NEW", Decimal("3450"))
    assert _feed(["3415"]) == ["trail-paper"]
    order.refresh_from_db()
    assert order.status == "FILLED"
    (fill,) = order.fills.all()
    assert (fill.price, fill.qty, fill.is_maker, fill.simulated) == (
        Decimal("3415"),
        Decimal("0.01"),
        False,
        True,
    )
    assert _feed(["3000"]) == []  # filled once
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")  # nothing was sent


def test_a_dry_run_trail_waits_for_its_activation_price(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    order = _paper_trail(api, token, "trail-act", activationPrice="3600")
    # A fall before activation is not a pullback from anything: no fill, no trail yet.
    assert _feed(["3500", "3300", "3599.99"]) == []
    order.refresh_from_db()
    assert order.trail_extreme is None
    # Active at 3600; the high 3700 sets the stop at 3663.
    assert _feed(["3600", "3700", "3664"]) == []
    assert _feed(["3663"]) == ["trail-act"]


def test_a_dry_run_trail_of_a_short_follows_the_low(api, alice, token_for, exchange):
    token = token_for(alice)
    r = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.01",
            "dryRun": False,
            "clientOrderId": "short-1",
        },
        token=token,
    )
    assert r.status_code == 200, r.content
    order = _paper_trail(api, token, "trail-short")
    assert order.side == "BUY"
    # The low 3300 sets the stop at 3333: 3332.99 holds, 3333 fills.
    assert _feed(["3400", "3300", "3320", "3332.99"]) == []
    assert _feed(["3333"]) == ["trail-short"]


# ------------------------------------------------------------------------------- margin


def test_isolated_margin_can_be_added_and_removed(api, alice, token_for, exchange):
    token = token_for(alice)
    r = api.post(
        "/futures/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"}, token=token
    )
    assert r.status_code == 200, r.content
    _open_long(api, token, qty="0.01")

    def isolated():
        rows = exchange.control.signed("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT").json()
        return Decimal(rows[0]["isolatedWallet"])

    before = isolated()
    r = api.post(
        "/futures/positionMargin",
        {"symbol": "ETHUSDT", "amount": "5", "type": "ADD"},
        token=token,
    )
    assert r.status_code == 200, r.content
    assert isolated() == before + 5
    assert Decimal(r.json()["isolatedMargin"]) == before + 5
    r = api.post(
        "/futures/positionMargin",
        {"symbol": "ETHUSDT", "amount": "2", "type": "REDUCE"},
        token=token,
    )
    assert r.status_code == 200, r.content
    assert isolated() == before + 3
    assert AuditEntry.objects.filter(action="positionMargin.change", outcome="ok").count() == 2


def test_margin_on_a_cross_position_is_refused_by_the_exchange(api, alice, token_for, exchange):
    token = token_for(alice)
    _open_long(api, token, qty="0.01")
    r = api.post(
        "/futures/positionMargin",
        {"symbol": "ETHUSDT", "amount": "5", "type": "ADD"},
        token=token,
    )
    assert r.status_code >= 400, r.content
    assert AuditEntry.objects.filter(action="positionMargin.change", outcome="rejected").exists()


@pytest.mark.parametrize("kind", ["add", "1", 1, None])
def test_a_margin_type_must_be_add_or_reduce(api, alice, token_for, exchange, kind):
    r = api.post(
        "/futures/positionMargin",
        {"symbol": "ETHUSDT", "amount": "5", "type": kind},
        token=token_for(alice),
    )
    assert r.status_code == 422, r.content


# -------------------------------------------------------------------------- concurrency


@pytest.mark.backends
@pytest.mark.django_db(transaction=True)
def test_two_closes_at_once_never_flip_the_position(make_user, exchange):
    import threading

    from django.db import connection

    from futures.position_actions import position_close
    from futures.services import OrderRequest, order_place

    alice = make_user("alice", "trader")
    order_place(
        user=alice,
        request=OrderRequest(
            symbol="ETHUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01"), dry_run=False
        ),
    )
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def close(i: int) -> None:
        barrier.wait()
        try:
            position_close(user=alice, symbol="ETHUSDT", dry_run=False, client_order_id=f"x-{i}")
            outcomes.append("closed")
        except Exception as exc:  # noqa: BLE001 - the refusal's kind is what is asserted
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # The exchange's own state: flat, never short.
    assert exchange_position(exchange, "ETHUSDT") == 0
    assert "closed" in outcomes
    assert len(outcomes) == 2
    assert set(outcomes) <= {"closed", "NoPosition", "ExchangeRejected"}


# ------------------------------------------------------------------- dry-run limits rest


def test_a_dry_run_limit_away_from_the_market_rests_until_crossed(api, alice, token_for, exchange):
    from futures.paper import fill_crossed

    r = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.0085",
            "price": "3300.123",
            "clientOrderId": "paper-1",
        },
        token=token_for(alice),
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["order"]["status"] == "NEW"
    assert body["simulatedFill"] is None
    assert "mark price" not in body["message"]
    assert body["rounded"] == [
        {"field": "quantity", "requested": "0.0085", "sent": "0.008"},
        {"field": "price", "requested": "3300.123", "sent": "3300.12"},
    ]
    order = Order.objects.get(client_order_id="paper-1")
    assert not order.fills.exists()
    assert fill_crossed("ETHUSDT", Decimal("3350")) == []
    order.refresh_from_db()
    assert order.status == "NEW"
    assert [o.client_order_id for o in fill_crossed("ETHUSDT", Decimal("3299.5"))] == ["paper-1"]
    order.refresh_from_db()
    assert order.status == "FILLED"
    (fill,) = order.fills.all()
    assert (fill.price, fill.qty, fill.is_maker, fill.simulated) == (
        Decimal("3300.12"),
        Decimal("0.008"),
        True,
        True,
    )
    assert fill_crossed("ETHUSDT", Decimal("3000")) == []  # filled once


def test_a_dry_run_limit_through_the_market_fills_at_once(api, alice, token_for, exchange):
    r = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "3500"},
        token=token_for(alice),
    )
    assert r.status_code == 200, r.content
    assert r.json()["order"]["status"] == "FILLED"
    assert Decimal(r.json()["simulatedFill"]["price"]) <= Decimal("3500")


def test_a_resting_dry_run_can_be_cancelled_and_modified_in_spark(api, alice, token_for, exchange):
    token = token_for(alice)
    body = {"symbol": "ETHUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.01"}
    api.post("/futures/order.place", {**body, "price": "3500", "clientOrderId": "p-a"}, token=token)
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "p-a", "price": "3550"},
        token=token,
    )
    assert r.status_code == 200, r.content
    assert Order.objects.get(client_order_id="p-a").price == Decimal("3550")
    r = api.post(
        "/futures/order.cancel", {"symbol": "ETHUSDT", "clientOrderId": "p-a"}, token=token
    )
    assert r.status_code == 200, r.content
    assert r.json()["order"]["status"] == "CANCELED"
    assert exchange.control.signed("GET", "/fapi/v1/allOrders", symbol="ETHUSDT").json() == []
