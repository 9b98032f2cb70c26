"""Attacks on the per-side position actions of a hedge-mode account (issue 22).

A viewer, another trader, a repeated client id asking for the other side, strange positionSide
values, a mode switched behind Spark's back, and (on PostgreSQL) parallel closes of the same
LONG: each is refused before anything reaches the exchange, or, for the race, the stand-in's
own positions prove no close went past the LONG and none opened or touched the SHORT.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.roles import TRADER
from audit.models import AuditEntry
from futures.models import Order
from futures.position_mode import position_mode_current, position_mode_forget
from tests.support.hedge import ACTIONS, SYMBOL, algos, go_hedge, sent, sides

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def exchange(exchange):
    exchange.control.set_price(SYMBOL, "3400", mark="3400")
    position_mode_forget()
    yield exchange
    position_mode_forget()


@pytest.mark.parametrize("path", list(ACTIONS))
def test_a_viewer_cannot_act_on_a_side(api, bob, token_for, exchange, path):
    go_hedge(exchange)
    before = sent(exchange)
    extra, _action = ACTIONS[path]
    body = {"symbol": SYMBOL, "positionSide": "LONG", "dryRun": False, **extra}
    r = api.post(path, body, token=token_for(bob))
    assert r.status_code == 403, r.content
    assert sent(exchange) == before
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}
    assert AuditEntry.objects.filter(actor_name="bob", outcome="denied").exists()


def test_another_trader_cannot_reuse_a_close_id_nor_cancel_a_sides_stop(
    api, alice, make_user, token_for, exchange
):
    carol = make_user("carol", TRADER)
    go_hedge(exchange, long="0.03", short="0.01")
    mine = token_for(alice)
    body = {
        "symbol": SYMBOL,
        "positionSide": "LONG",
        "quantity": "0.01",
        "dryRun": False,
        "clientOrderId": "alice-close",
    }
    assert api.post("/futures/position.close", body, token=mine).status_code == 200
    r = api.post("/futures/position.close", body, token=token_for(carol))
    assert r.status_code == 409, r.content
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}

    protect = {"symbol": SYMBOL, "positionSide": "SHORT", "stopLoss": "3600", "dryRun": False}
    r = api.post("/futures/position.protect", {**protect, "clientOrderId": "as"}, token=mine)
    assert r.status_code == 200, r.content
    cancel = {"symbol": SYMBOL, "clientOrderId": "as-sl"}
    r = api.post("/futures/order.cancel", cancel, token=token_for(carol))
    assert r.status_code == 403, r.content
    assert [a["clientAlgoId"] for a in algos(exchange)] == ["as-sl"]


def test_a_repeated_close_id_asking_for_the_other_side_is_refused(api, alice, token_for, exchange):
    go_hedge(exchange, long="0.02", short="0.02")
    token = token_for(alice)
    body = {"symbol": SYMBOL, "positionSide": "LONG", "dryRun": False, "clientOrderId": "c-1"}
    assert api.post("/futures/position.close", body, token=token).status_code == 200
    again = api.post("/futures/position.close", body, token=token)
    assert again.status_code == 200 and again.json()["executed"] == "existing"
    r = api.post("/futures/position.close", {**body, "positionSide": "SHORT"}, token=token)
    assert r.status_code == 409, r.content
    fields = {d["field"] for d in r.json()["error"]["details"]["fields"]}
    assert "positionSide" in fields
    assert sides(exchange) == {"LONG": 0, "SHORT": Decimal("-0.02")}


@pytest.mark.parametrize("path", list(ACTIONS))
@pytest.mark.parametrize("value", ["long", "", "LONG ", "BOTH,LONG", 1, True, ["LONG"], {}])
def test_a_strange_position_side_is_422_and_changes_nothing(
    api, alice, token_for, exchange, path, value
):
    go_hedge(exchange)
    before = sent(exchange)
    extra, _action = ACTIONS[path]
    body = {"symbol": SYMBOL, "positionSide": value, "dryRun": False, **extra}
    r = api.post(path, body, token=token_for(alice))
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert sent(exchange) == before


def test_a_mode_switched_behind_sparks_back_asks_for_the_side(api, alice, token_for, exchange):
    token = token_for(alice)
    # Spark reads (and keeps) one-way: a close finds no position.
    r = api.post("/futures/position.close", {"symbol": SYMBOL, "dryRun": False}, token=token)
    assert r.json()["error"]["code"] == "NO_POSITION"
    assert position_mode_current().dual is False
    # The trader switches the account to hedge on Binance and opens both sides there.
    go_hedge(exchange, forget=False)
    assert position_mode_current().dual is False  # Spark's reading is still one-way
    r = api.post("/futures/position.close", {"symbol": SYMBOL, "dryRun": False}, token=token)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "POSITION_SIDE_REQUIRED"
    assert sides(exchange) == {"LONG": Decimal("0.02"), "SHORT": Decimal("-0.01")}
    assert sent(exchange) == 2


# -------------------------------------------------------------------------- the race


def _race(count: int, close) -> list[str]:
    """Run close(i) in count threads released together; each outcome's name."""
    outcomes: list[str] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            close(i)
            outcomes.append("closed")
        except Exception as exc:  # noqa: BLE001 - the refusal's kind is what is asserted
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == count
    return outcomes


@pytest.mark.backends
def test_parallel_whole_closes_of_the_long_never_over_close_nor_touch_the_short(
    make_user, exchange
):
    from futures.position_actions import position_close

    alice = make_user("alice", TRADER)
    go_hedge(exchange, long="0.02", short="0.01")

    outcomes = _race(
        4,
        lambda i: position_close(
            user=alice,
            symbol=SYMBOL,
            position_side="LONG",
            dry_run=False,
            client_order_id=f"race-{i}",
        ),
    )
    assert "closed" in outcomes
    assert set(outcomes) <= {"closed", "NoPosition", "ExchangeRejected", "ValidationFailed"}
    assert sides(exchange) == {"LONG": 0, "SHORT": Decimal("-0.01")}
    filled = Order.objects.filter(client_order_id__startswith="race-", filled_qty__gt=0)
    assert sum(o.filled_qty for o in filled) == Decimal("0.02")
    assert {(o.side, o.position_side) for o in filled} == {("SELL", "LONG")}


@pytest.mark.backends
def test_parallel_partial_closes_of_the_long_stop_at_the_long(make_user, exchange):
    from futures.position_actions import position_close

    alice = make_user("alice", TRADER)
    go_hedge(exchange, long="0.03", short="0.01")

    outcomes = _race(
        6,
        lambda i: position_close(
            user=alice,
            symbol=SYMBOL,
            position_side="LONG",
            quantity=Decimal("0.01"),
            dry_run=False,
            client_order_id=f"part-{i}",
        ),
    )
    assert sides(exchange) == {"LONG": 0, "SHORT": Decimal("-0.01")}
    filled = Order.objects.filter(client_order_id__startswith="part-", filled_qty__gt=0)
    assert sum(o.filled_qty for o in filled) == Decimal("0.03")
    assert outcomes.count("closed") == 3
