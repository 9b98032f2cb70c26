"""Finding 12: on a shared exchange account a trader acts only on what they created.

A desk shares one Binance account. Before the fix any trader could cancel another trader's
order, confirm another's canary run, cancel another's optimization and stop another's runner.
Now a trader touching another user's object (or an order placed outside Spark) gets 403
NOT_OWNER, audited, nothing changed on the exchange or in Spark; an operator (the permission
accounts.act_for_others) may act on anyone's, and the audit names both actor and owner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.roles import TRADER, VIEWER
from audit.models import AuditEntry
from canary.models import CanaryRun
from futures.binance.http import BinanceHttp
from futures.binance.rest import client_from_settings
from futures.models import Order
from strategies.models import OptimizationRun, Strategy, StrategyRunner
from tests.support.stand_in import exchange_orders, exchange_position
from tests.support.stand_in import run_canary as _run

pytestmark = pytest.mark.django_db

DOCUMENT = {
    "name": "always long",
    "symbol": "ETHUSDT",
    "timeframe": "1m",
    "indicators": [],
    "entry": [{"left": "close", "op": ">", "right": 0}],
    "exit": [{"left": "close", "op": "<", "right": 1}],
    "position_size": {"type": "fixed_qty", "value": 0.008},
}


@pytest.fixture
def exchange(sim_settings):
    """The stand-in, with this process's connector fresh (no back-off, no cached marks)."""
    BinanceHttp.clear_backoff()
    client = client_from_settings()
    client._marks.clear()  # noqa: SLF001 - prices move between tests
    yield sim_settings
    BinanceHttp.clear_backoff()


@pytest.fixture
def bob(make_user):
    """Here bob is alice's fellow trader on the same desk (the shared fixture makes a viewer)."""
    return make_user("bob", TRADER)


@pytest.fixture
def vera(make_user):
    return make_user("vera", VIEWER)


def _rest(api, token, client_order_id: str, price: str = "3000") -> dict:
    """A live resting BUY LIMIT far below the mark: it stays open on the stand-in."""
    response = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": price,
            "timeInForce": "GTC",
            "dryRun": False,
            "clientOrderId": client_order_id,
        },
        token=token,
    )
    assert response.status_code == 200, response.content
    assert response.json()["order"]["status"] == "NEW"
    return response.json()["order"]


def _on_exchange(sim, client_order_id: str) -> str:
    """The order's status as the stand-in itself holds it."""
    (row,) = [o for o in exchange_orders(sim, "ETHUSDT") if o["clientOrderId"] == client_order_id]
    return row["status"]


def _cancel(api, token, **ref):
    return api.post("/futures/order.cancel", {"symbol": "ETHUSDT", **ref}, token=token)


def _not_owner(response, owner: str | None) -> None:
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "NOT_OWNER"
    assert error["details"]["permission"] == "accounts.act_for_others"
    assert error["details"]["owner"] == owner
    # Said in Turkish with its values (the owner, the permission), not a generic sentence.
    said = f"Bu, {owner} kullanıcısının " if owner else "sahipsiz (Spark dışında verilmiş)"
    assert said in error["message"] and "accounts.act_for_others iznine" in error["message"]


def _denied(action: str, actor: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, actor_name=actor, outcome="denied"))


# ----------------------------------------------------------------------------------- orders


def test_a_trader_cannot_cancel_another_traders_live_order(api, alice, bob, token_for, exchange):
    _rest(api, token_for(alice), "alice-rest-1")

    response = _cancel(api, token_for(bob), clientOrderId="alice-rest-1")

    _not_owner(response, "alice")
    assert _on_exchange(exchange, "alice-rest-1") == "NEW"
    assert Order.objects.get(client_order_id="alice-rest-1").status == "NEW"
    (entry,) = _denied("order.cancel", "bob")
    assert entry.payload["owner"] == "alice" and entry.payload["reason"] == "not_owner"
    assert not AuditEntry.objects.filter(action="order.cancel", outcome="ok").exists()


def test_an_english_client_reads_the_refusal_in_english_with_the_owner(
    api, alice, bob, token_for, exchange
):
    _rest(api, token_for(alice), "alice-rest-en")

    response = api.post(
        "/futures/order.cancel",
        {"symbol": "ETHUSDT", "clientOrderId": "alice-rest-en"},
        token=token_for(bob),
        lang="en",
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "This is alice's order: only its creator, or a user with the permission "
        "accounts.act_for_others (operators), may act on it."
    )
    assert _on_exchange(exchange, "alice-rest-en") == "NEW"


def test_the_exchange_order_id_does_not_get_round_the_owner_check(
    api, alice, bob, token_for, exchange
):
    order = _rest(api, token_for(alice), "alice-rest-2")

    response = _cancel(api, token_for(bob), orderId=order["orderId"])

    _not_owner(response, "alice")
    assert _on_exchange(exchange, "alice-rest-2") == "NEW"


def test_an_operator_cancels_a_traders_order_and_the_audit_names_both(
    api, alice, olga, token_for, exchange
):
    _rest(api, token_for(alice), "alice-rest-3")

    response = _cancel(api, token_for(olga), clientOrderId="alice-rest-3")

    assert response.status_code == 200, response.content
    assert response.json()["order"]["status"] == "CANCELED"
    assert _on_exchange(exchange, "alice-rest-3") == "CANCELED"
    entry = AuditEntry.objects.get(action="order.cancel", outcome="ok")
    assert entry.actor_name == "olga"
    assert entry.payload["owner"] == "alice"
    assert entry.payload["clientOrderId"] == "alice-rest-3"


def test_a_trader_still_cancels_their_own_order(api, alice, token_for, exchange):
    _rest(api, token_for(alice), "alice-rest-4")

    response = _cancel(api, token_for(alice), clientOrderId="alice-rest-4")

    assert response.status_code == 200, response.content
    assert _on_exchange(exchange, "alice-rest-4") == "CANCELED"
    entry = AuditEntry.objects.get(action="order.cancel", outcome="ok")
    assert entry.actor_name == "alice" and entry.payload["owner"] == "alice"


def test_a_viewer_is_refused_for_the_role_before_any_ownership_question(
    api, alice, vera, token_for, exchange
):
    _rest(api, token_for(alice), "alice-rest-5")

    response = _cancel(api, token_for(vera), clientOrderId="alice-rest-5")

    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "futures.cancel_order"
    assert _on_exchange(exchange, "alice-rest-5") == "NEW"


def test_another_traders_dry_run_is_not_theirs_either(api, alice, bob, token_for, exchange):
    placed = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
        token=token_for(alice),
    ).json()["order"]

    response = _cancel(api, token_for(bob), clientOrderId=placed["clientOrderId"])

    _not_owner(response, "alice")


def test_an_order_placed_outside_spark_is_for_operators_only(api, alice, olga, token_for, exchange):
    outside = exchange.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        quantity="0.01",
        price="3000",
        timeInForce="GTC",
        newClientOrderId="by-hand-1",
    ).json()

    response = _cancel(api, token_for(alice), orderId=outside["orderId"])

    _not_owner(response, None)
    assert _on_exchange(exchange, "by-hand-1") == "NEW"
    assert _denied("order.cancel", "alice")[0].payload["owner"] is None

    response = _cancel(api, token_for(olga), orderId=outside["orderId"])
    assert response.status_code == 200, response.content
    assert _on_exchange(exchange, "by-hand-1") == "CANCELED"


def test_an_order_nobody_has_is_still_404_for_a_trader(api, alice, token_for, exchange):
    response = _cancel(api, token_for(alice), clientOrderId="never-placed")

    assert response.status_code == 404, response.content


def test_the_permission_not_the_role_name_is_the_control(api, alice, bob, token_for, exchange):
    _rest(api, token_for(alice), "alice-rest-6")
    bob.user_permissions.add(Permission.objects.get(codename="act_for_others"))
    bob = get_user_model().objects.get(pk=bob.pk)

    response = _cancel(api, token_for(bob), clientOrderId="alice-rest-6")

    assert response.status_code == 200, response.content
    assert _on_exchange(exchange, "alice-rest-6") == "CANCELED"


def test_a_traders_cancel_all_leaves_other_traders_and_outside_orders_open(
    api, alice, bob, token_for, exchange
):
    _rest(api, token_for(alice), "alice-rest-7")
    _rest(api, token_for(bob), "bob-rest-1", price="3010")
    exchange.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        quantity="0.01",
        price="3020",
        timeInForce="GTC",
        newClientOrderId="by-hand-2",
    )

    response = api.post("/futures/order.cancelAll", {"symbol": "ETHUSDT"}, token=token_for(bob))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "own"
    assert body["cancelled"] == [
        {"clientOrderId": "bob-rest-1", "status": "CANCELED", "owner": "bob"}
    ]
    assert _on_exchange(exchange, "bob-rest-1") == "CANCELED"
    assert _on_exchange(exchange, "alice-rest-7") == "NEW"
    assert _on_exchange(exchange, "by-hand-2") == "NEW"
    assert Order.objects.get(client_order_id="alice-rest-7").status == "NEW"


def test_an_operators_cancel_all_clears_the_symbol_and_names_each_owner(
    api, alice, bob, olga, token_for, exchange
):
    _rest(api, token_for(alice), "alice-rest-8")
    _rest(api, token_for(bob), "bob-rest-2", price="3010")

    response = api.post("/futures/order.cancelAll", {"symbol": "ETHUSDT"}, token=token_for(olga))

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "all"
    assert {o["status"] for o in exchange_orders(exchange, "ETHUSDT")} == {"CANCELED"}
    entry = AuditEntry.objects.get(action="order.cancelAll", outcome="ok")
    assert entry.actor_name == "olga"
    assert {(c["clientOrderId"], c["owner"]) for c in entry.payload["changed"]} == {
        ("alice-rest-8", "alice"),
        ("bob-rest-2", "bob"),
    }


def test_the_copilots_cancel_action_meets_the_same_owner_check(
    api, alice, bob, token_for, exchange
):
    order = _rest(api, token_for(alice), "alice-rest-9")
    answer = api.post(
        "/ai/chat", {"prompt": f"cancel ETH order {order['orderId']}"}, token=token_for(bob)
    ).json()
    action = answer.get("action") or answer
    assert action["path"] == "/futures/order.cancel", answer

    response = api.post(action["path"], action["body"], token=token_for(bob))

    _not_owner(response, "alice")
    assert _on_exchange(exchange, "alice-rest-9") == "NEW"


# ------------------------------------------------------------------------------ canary runs


def test_a_trader_cannot_confirm_another_traders_canary(api, alice, bob, token_for, exchange):
    run = _run(api, token_for(alice))
    before = len(exchange_orders(exchange, "ETHUSDT"))

    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token_for(bob))

    _not_owner(response, "alice")
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"
    assert CanaryRun.objects.get(pk=run["id"]).confirmed_by is None
    assert len(exchange_orders(exchange, "ETHUSDT")) == before
    assert _denied("canary.confirm", "bob")[0].payload["owner"] == "alice"


def test_an_operator_confirms_a_traders_canary_audited_with_the_owner(
    api, alice, olga, token_for, exchange
):
    run = _run(api, token_for(alice))

    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token_for(olga))

    assert response.status_code == 200, response.content
    assert CanaryRun.objects.get(pk=run["id"]).status == "CONFIRMED"
    assert exchange_position(exchange, "ETHUSDT") == 0  # opened and closed again
    entry = AuditEntry.objects.get(action="canary.confirm", outcome="ok")
    assert entry.actor_name == "olga" and entry.payload["owner"] == "alice"


def test_the_canary_page_shows_confirm_only_on_runs_you_may_confirm(
    client, api, alice, bob, olga, token_for, exchange
):
    _run(api, token_for(alice))
    for user, shown in ((alice, True), (bob, False), (olga, True)):
        client.force_login(user)
        page = client.get("/canary/").content.decode()
        assert ('class="buy confirm-button"' in page) is shown, user.username


# ------------------------------------------------------------------ optimizations, runners


def _optimization(owner) -> OptimizationRun:
    now = int(timezone.now().timestamp() * 1000)
    return OptimizationRun.objects.create(
        document=DOCUMENT,
        space={"fast.period": [5, 10]},
        start_ms=now - int(timedelta(days=3).total_seconds() * 1000),
        end_ms=now,
        status=OptimizationRun.Status.RUNNING,
        total=2,
        created_by=owner,
    )


def _runner(owner) -> StrategyRunner:
    strategy = Strategy.objects.create(name=f"s-{owner.username}", document=DOCUMENT)
    return StrategyRunner.objects.create(
        strategy=strategy, version=1, document=DOCUMENT, started_by=owner
    )


def test_a_trader_cannot_cancel_another_traders_optimization(api, alice, bob, olga, token_for):
    run = _optimization(alice)
    url = f"/strategies/optimizations/{run.pk}/cancel"

    _not_owner(api.post(url, {}, token=token_for(bob)), "alice")
    run.refresh_from_db()
    assert run.cancel_requested is False
    assert _denied("strategy.optimize.cancel", "bob")[0].payload["owner"] == "alice"

    assert api.post(url, {}, token=token_for(olga)).status_code == 200
    run.refresh_from_db()
    assert run.cancel_requested is True
    entry = AuditEntry.objects.get(action="strategy.optimize.cancel", outcome="ok")
    assert entry.actor_name == "olga" and entry.payload["owner"] == "alice"


def test_a_trader_cannot_stop_another_traders_runner(api, alice, bob, olga, token_for):
    runner = _runner(alice)
    url = f"/strategies/runners/{runner.pk}/stop"

    _not_owner(api.post(url, {}, token=token_for(bob)), "alice")
    runner.refresh_from_db()
    assert runner.status == "RUNNING" and runner.stopped_at is None

    assert api.post(url, {}, token=token_for(alice)).status_code == 200
    runner.refresh_from_db()
    assert runner.status == "STOPPED"
    entry = AuditEntry.objects.get(action="strategy.stop", outcome="ok")
    assert entry.actor_name == "alice" and entry.payload["owner"] == "alice"


def test_an_operator_stops_a_traders_runner(api, alice, olga, token_for):
    runner = _runner(alice)

    response = api.post(f"/strategies/runners/{runner.pk}/stop", {}, token=token_for(olga))

    assert response.status_code == 200, response.content
    runner.refresh_from_db()
    assert runner.status == "STOPPED"
    entry = AuditEntry.objects.get(action="strategy.stop", outcome="ok")
    assert entry.actor_name == "olga" and entry.payload["owner"] == "alice"


def test_the_page_forms_refuse_too_and_hide_their_buttons(client, alice, bob, olga):
    opt, runner = _optimization(alice), _runner(alice)
    opt_page = f"/strategy-lab/optimizations/{opt.pk}"
    strategy_page = f"/strategy-lab/strategies/{runner.strategy_id}"
    for user, shown in ((alice, True), (bob, False), (olga, True)):
        client.force_login(user)
        assert ('id="cancel"' in client.get(opt_page).content.decode()) is shown, user.username
        assert ("runner-stop" in client.get(strategy_page).content.decode()) is shown

    client.force_login(bob)
    client.post(f"/strategy-lab/optimizations/{opt.pk}/cancel")
    client.post(f"/strategy-lab/runners/{runner.pk}/stop")
    opt.refresh_from_db()
    runner.refresh_from_db()
    assert opt.cancel_requested is False and runner.status == "RUNNING"
    assert len(_denied("strategy.optimize.cancel", "bob")) == 1
    assert len(_denied("strategy.stop", "bob")) == 1
