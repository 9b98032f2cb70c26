"""Hedge mode, end to end against the stand-in (issue 22; was finding 11 of issue 20).

The account is switched to hedge mode on the stand-in itself (signed with the sim key, the way a
trader would do it on Binance). Spark reads the mode, never assumes it, and holds every order to
it: on a hedge account an order names its side (LONG or SHORT), takes no reduceOnly, and is
gated on that side and net; on a one-way account LONG/SHORT is a 409. Wrong or missing sides,
reduceOnly in hedge mode and another user's client id are refused before anything is stored or
sent, and audited. The canary follows the mode too: a run simulated one-way is never confirmed
on a hedge account, and a hedge canary needs its own side flat, not the net.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from canary.models import CanaryRun
from futures.models import Order, PositionSnapshot
from futures.position_mode import position_mode_forget, position_mode_known
from risk.models import CircuitBreaker, RiskLimits

pytestmark = pytest.mark.django_db(transaction=True)


def _signed(sim, method: str, path: str, **params):
    response = sim.control.signed(method, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def _eth_market(sim, side: str, position_side: str, quantity: str) -> None:
    _signed(
        sim,
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side=side,
        type="MARKET",
        quantity=quantity,
        positionSide=position_side,
    )


def _sides(sim) -> dict[str, str]:
    rows = _signed(sim, "GET", "/fapi/v2/positionRisk", symbol="ETHUSDT")
    return {r["positionSide"]: r["positionAmt"] for r in rows}


def _exchange_orders(sim) -> int:
    return len(_signed(sim, "GET", "/fapi/v1/allOrders", symbol="ETHUSDT"))


def _go_hedge(sim, long: str = "0.010", short: str = "0.010") -> None:
    """Hedge mode on the stand-in with a LONG and a SHORT (equal by default: net flat)."""
    assert sim.control.position_mode(True) == {"code": 200, "msg": "success"}
    if Decimal(long):
        _eth_market(sim, "BUY", "LONG", long)
    if Decimal(short):
        _eth_market(sim, "SELL", "SHORT", short)


def _go_one_way(sim) -> None:
    for side, amount in _sides(sim).items():
        if Decimal(amount):
            _eth_market(sim, "SELL" if side == "LONG" else "BUY", side, str(abs(Decimal(amount))))
    assert sim.control.position_mode(False) == {"code": 200, "msg": "success"}


@pytest.fixture
def exchange(sim_settings, settings):
    from futures.binance.http import BinanceHttp
    from futures.binance.rest import client_from_settings

    BinanceHttp.clear_backoff()
    client_from_settings()._marks.clear()  # noqa: SLF001 - prices move between tests
    sim_settings.control.set_price("ETHUSDT", "3400", mark="3400")
    position_mode_forget()  # a reading of another test's account must not carry over
    yield sim_settings
    position_mode_forget()
    BinanceHttp.clear_backoff()


def _place(api, token, **fields):
    body = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", **fields}
    return api.post("/futures/order.place", body, token=token)


def _refused(response, status: int, code: str, field: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert [f["field"] for f in error["details"]["fields"]] == [field]
    return error


def _qty_cap(value: str, max_notional: str = "100") -> None:
    limits = RiskLimits.load()
    limits.max_notional_usd = Decimal(max_notional)
    limits.save()
    limits.symbol_limits.filter(symbol="ETHUSDT").delete()
    limits.symbol_limits.create(symbol="ETHUSDT", max_position_qty=Decimal(value))


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_hedge_order_without_its_side_is_refused_and_nothing_is_sent(
    api, alice, token_for, exchange, dry_run
):
    _go_hedge(exchange)
    sent = _exchange_orders(exchange)

    for absent_or_both in ({}, {"positionSide": "BOTH"}):
        error = _refused(
            _place(api, token_for(alice), dryRun=dry_run, **absent_or_both),
            400,
            "POSITION_SIDE_REQUIRED",
            "positionSide",
        )
        assert "çift yönlü" in error["message"] and "positionSide" in error["message"]
        assert error["details"]["positionMode"] == "hedge"

    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.010"}
    assert not Order.objects.exists()
    entries = AuditEntry.objects.filter(action="order.place", outcome="rejected")
    assert entries.count() == 2
    assert {e.payload["error"]["code"] for e in entries} == {"POSITION_SIDE_REQUIRED"}
    assert {e.payload["dryRun"] for e in entries} == {dry_run}


def test_reduce_only_is_refused_in_hedge_mode_in_english_on_request(
    client, alice, token_for, exchange
):
    _go_hedge(exchange, long="0.020", short="0.010")
    sent = _exchange_orders(exchange)
    response = client.post(
        "/futures/order.place",
        data={
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.02",
            "reduceOnly": True,
            "positionSide": "LONG",
            "dryRun": False,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    error = _refused(response, 400, "REDUCE_ONLY_IN_HEDGE_MODE", "reduceOnly")
    assert "hedge mode" in error["message"] and "SELL on positionSide LONG" in error["message"]
    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": "0.020", "SHORT": "-0.010"}
    assert not Order.objects.exists()
    assert AuditEntry.objects.filter(
        action="order.place", outcome="rejected", payload__error__code="REDUCE_ONLY_IN_HEDGE_MODE"
    ).exists()


def test_a_side_on_a_one_way_account_is_a_conflict_naming_the_mode(api, alice, token_for, exchange):
    sent = _exchange_orders(exchange)
    error = _refused(
        _place(api, token_for(alice), dryRun=False, positionSide="LONG"),
        409,
        "POSITION_SIDE_MISMATCH",
        "positionSide",
    )
    assert "tek yönlü" in error["message"] and "positionSide" in error["message"]
    assert error["details"]["positionMode"] == "one-way"
    assert _exchange_orders(exchange) == sent and not Order.objects.exists()
    # absent and BOTH are the one-way order as before
    for side in ({}, {"positionSide": "BOTH"}):
        placed = _place(api, token_for(alice), dryRun=False, **side)
        assert placed.status_code == 200, placed.content
        assert placed.json()["order"]["positionSide"] == "BOTH"
    assert _sides(exchange) == {"BOTH": "0.020"}


def test_a_viewer_is_refused_for_the_role_before_the_mode_is_told(api, bob, token_for, exchange):
    _go_hedge(exchange)
    response = _place(api, token_for(bob), dryRun=False, positionSide="LONG")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_a_hedge_account_opens_and_closes_each_side_and_lists_both(
    api, alice, bob, make_user, token_for, exchange
):
    _go_hedge(exchange, long="0", short="0")
    token = token_for(alice)

    long = _place(api, token, dryRun=False, positionSide="LONG", clientOrderId="h-long")
    assert long.status_code == 200, long.content
    assert long.json()["order"]["positionSide"] == "LONG"
    short = _place(api, token, dryRun=False, side="SELL", positionSide="SHORT", quantity="0.02")
    assert short.status_code == 200, short.content
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.020"}

    body = api.get("/futures/positions", token=token_for(bob)).json()
    assert body["positionMode"]["mode"] == "hedge"
    rows = {
        (p["symbol"], p["positionSide"]): (p["positionAmt"], p["side"]) for p in body["positions"]
    }
    assert rows == {
        ("ETHUSDT", "LONG"): ("0.01", "LONG"),
        ("ETHUSDT", "SHORT"): ("-0.02", "SHORT"),
    }
    status = api.get("/futures/risk/status", token=token_for(bob)).json()
    assert sorted(p["positionAmt"] for p in status["positions"]) == ["-0.02", "0.01"]

    # another user reusing alice's client id gets a conflict, never her order
    tina = make_user("tina", "trader")
    stolen = _place(api, token_for(tina), dryRun=False, positionSide="LONG", clientOrderId="h-long")
    assert stolen.status_code == 409, stolen.content
    # the same id with another side is a mismatch naming positionSide, nothing sent
    sent = _exchange_orders(exchange)
    other = _place(api, token, dryRun=False, positionSide="SHORT", clientOrderId="h-long")
    assert other.status_code == 409, other.content
    assert other.json()["error"]["code"] == "CLIENT_ORDER_ID_MISMATCH"
    assert [f["field"] for f in other.json()["error"]["details"]["fields"]] == ["positionSide"]
    assert _exchange_orders(exchange) == sent

    # closing a side: a SELL on LONG, a BUY on SHORT; even with the breaker open
    CircuitBreaker.objects.update_or_create(
        pk=CircuitBreaker.SINGLETON_PK, defaults={"state": CircuitBreaker.State.OPEN}
    )
    opening = _place(api, token, dryRun=False, positionSide="LONG")
    assert opening.status_code == 422, opening.content
    assert "circuit_breaker" in [r["rule"] for r in opening.json()["error"]["details"]["rules"]]
    close_long = _place(api, token, dryRun=False, side="SELL", positionSide="LONG")
    assert close_long.status_code == 200, close_long.content
    close_short = _place(
        api, token, dryRun=False, side="BUY", positionSide="SHORT", quantity="0.02"
    )
    assert close_short.status_code == 200, close_short.content
    assert {k: Decimal(v) for k, v in _sides(exchange).items()} == {"LONG": 0, "SHORT": 0}
    assert Order.objects.filter(position_side="LONG", status="FILLED").count() == 2


def test_the_per_side_cap_holds_for_dry_runs_and_the_other_side_is_its_own(
    api, alice, token_for, exchange
):
    _go_hedge(exchange, long="0.030", short="0")
    _qty_cap("0.04", max_notional="200")
    token = token_for(alice)

    over = _place(api, token, dryRun=True, positionSide="LONG", quantity="0.02")
    assert over.status_code == 422, over.content
    rules = over.json()["error"]["details"]["rules"]
    # the LONG side would be 0.05, and so would the net (no short to offset it)
    assert [r["rule"] for r in rules] == ["max_position", "max_position"]
    assert "ETHUSDT LONG" in rules[0]["message"] and "net" in rules[1]["message"]
    # the order form's preview reads the same side: LONG 0.03 before, 0.05 after, refused
    body = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.02"}
    preview = api.post("/futures/order.preview", {**body, "positionSide": "LONG"}, token=token)
    assert preview.status_code == 200, preview.content
    assert preview.json()["position"] == {"before": "0.03", "after": "0.05"}
    assert preview.json()["risk"]["allowed"] is False
    fits = _place(api, token, dryRun=True, positionSide="LONG", quantity="0.01")
    assert fits.status_code == 200, fits.content
    assert fits.json()["executed"] == "simulated"
    # the SHORT side is a position of its own: 0.04 short fits next to a 0.03 long (net -0.01)
    short = _place(api, token, dryRun=False, side="SELL", positionSide="SHORT", quantity="0.04")
    assert short.status_code == 200, short.content
    assert _sides(exchange) == {"LONG": "0.030", "SHORT": "-0.040"}
    # a close of more than the side holds is no shrinking order: refused by Binance itself
    too_much = _place(api, token, dryRun=False, side="SELL", positionSide="LONG", quantity="0.05")
    assert too_much.status_code >= 400
    assert _sides(exchange) == {"LONG": "0.030", "SHORT": "-0.040"}


def test_a_switch_after_the_last_reading_is_caught_by_the_exchanges_4061(
    api, alice, token_for, exchange, settings
):
    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # the one-way reading stays "fresh"
    token = token_for(alice)
    first = _place(api, token, dryRun=True)
    assert first.status_code == 200, first.content
    assert position_mode_known().dual is False
    _go_hedge(exchange)
    sent = _exchange_orders(exchange)

    # Spark still believes one-way and sends BOTH; the exchange refuses (-4061), Spark reads
    # again and says what the order must carry now
    error = _refused(
        _place(api, token, dryRun=False, clientOrderId="after-switch"),
        400,
        "POSITION_SIDE_REQUIRED",
        "positionSide",
    )
    assert error["details"]["exchangeCode"] == -4061
    order = Order.objects.get(client_order_id="after-switch")
    assert order.status == "REJECTED" and order.error["code"] == "POSITION_SIDE_REQUIRED"
    assert order.error["exchangeCode"] == -4061
    assert _exchange_orders(exchange) == sent  # refused by the exchange: nothing executed
    # from now on refused before anything is sent, and a side order goes through
    _refused(_place(api, token, dryRun=False), 400, "POSITION_SIDE_REQUIRED", "positionSide")
    assert Order.objects.count() == 2  # the dry run and the refused one
    placed = _place(api, token, dryRun=False, positionSide="LONG")
    assert placed.status_code == 200, placed.content
    assert _sides(exchange) == {"LONG": "0.020", "SHORT": "-0.010"}


def test_a_one_way_canary_is_not_confirmed_after_a_switch_to_hedge_even_on_a_net_flat_account(
    api, alice, token_for, exchange, settings
):
    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # the confirm must read the mode anyway
    token = token_for(alice)
    run = api.post("/canary/run", {}, token=token).json()["run"]
    assert (run["status"], run["positionMode"], run["positionSide"]) == (
        "SIMULATED",
        "one-way",
        "BOTH",
    )
    _go_hedge(exchange, long="0.010", short="0.010")  # net 0: a sum would say "flat"
    sent = _exchange_orders(exchange)

    refused = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "CANARY_MODE_CHANGED"
    assert "çift yönlü" in error["message"]
    assert (error["details"]["runPositionMode"], error["details"]["positionMode"]) == (
        "one-way",
        "hedge",
    )
    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.010"}
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"
    assert AuditEntry.objects.filter(
        action="canary.confirm", outcome="rejected", payload__reason="position mode changed"
    ).exists()

    # a new run is a hedge run on LONG, and its side is not flat: refused, still nothing sent
    again = api.post("/canary/run", {}, token=token).json()["run"]
    assert (again["status"], again["positionMode"], again["positionSide"]) == (
        "SIMULATED",
        "hedge",
        "LONG",
    )
    not_flat = api.post("/canary/confirm", {"runId": again["id"]}, token=token)
    assert not_flat.status_code == 409, not_flat.content
    assert not_flat.json()["error"]["code"] == "CANARY_POSITION_NOT_FLAT"
    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.010"}


def test_a_hedge_resting_order_is_modified_on_its_own_side(api, alice, token_for, exchange):
    _go_hedge(exchange, long="0", short="0")
    token = token_for(alice)
    placed = _place(
        api,
        token,
        dryRun=False,
        type="LIMIT",
        price="3300",
        side="SELL",
        positionSide="SHORT",
        clientOrderId="h-rest",
        quantity="0.01",
    )
    # a SELL SHORT limit below the mark fills at once; a resting one sits above it
    assert placed.status_code == 200, placed.content
    resting = _place(
        api,
        token,
        dryRun=False,
        type="LIMIT",
        price="3500",
        side="SELL",
        positionSide="SHORT",
        clientOrderId="h-rest-2",
        quantity="0.01",
    )
    assert resting.status_code == 200 and resting.json()["order"]["status"] == "NEW"

    moved = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "h-rest-2", "price": "3550", "quantity": "0.02"},
        token=token,
    )
    assert moved.status_code == 200, moved.content
    on_exchange = _signed(
        exchange, "GET", "/fapi/v1/order", symbol="ETHUSDT", origClientOrderId="h-rest-2"
    )
    assert (on_exchange["price"], on_exchange["origQty"]) == ("3550.00", "0.020")
    assert on_exchange["positionSide"] == "SHORT"
    assert Order.objects.get(client_order_id="h-rest-2").position_side == "SHORT"

    # the per-side cap judges the modify on the SHORT side
    _qty_cap("0.03")  # the SHORT side holds 0.01: 0.025 more would make it 0.035
    refused = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "h-rest-2", "price": "3550", "quantity": "0.025"},
        token=token,
    )
    assert refused.status_code == 422, refused.content
    assert "SHORT" in refused.json()["error"]["details"]["rules"][0]["message"]


def test_reconcile_after_switching_mode_with_no_position_leaves_no_stale_side(
    api, alice, token_for, exchange, settings, client
):
    from futures.events import reconcile_after_connect

    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # only the reconnect may change the reading
    token = token_for(alice)
    _go_hedge(exchange, long="0.010", short="0.020")
    assert _place(api, token, dryRun=False, positionSide="LONG").status_code == 200
    assert {r.position_side for r in PositionSnapshot.objects.exclude(position_amt=0)} == {
        "LONG",
        "SHORT",
    }
    _go_one_way(exchange)
    # the reading is still hedge: a one-way order is refused until the stream reconnects
    _refused(_place(api, token, dryRun=False), 400, "POSITION_SIDE_REQUIRED", "positionSide")

    reconcile_after_connect()  # as after any cut: the mode first, then positions per side

    assert position_mode_known().dual is False
    assert not PositionSnapshot.objects.exclude(position_side="BOTH").exclude(position_amt=0)
    stale = PositionSnapshot.objects.exclude(position_side="BOTH")
    assert all(r.rest_position_amt in (None, 0) for r in stale)
    placed = _place(api, token, dryRun=False)
    assert placed.status_code == 200, placed.content
    assert _sides(exchange) == {"BOTH": "0.010"}
    body = api.get("/futures/positions", token=token).json()
    assert [(p["positionSide"], p["positionAmt"]) for p in body["positions"]] == [("BOTH", "0.01")]
    assert AuditEntry.objects.filter(
        action="position_mode.changed", payload__mode="one-way"
    ).exists()
    # and back to hedge: the BOTH row is zeroed, the gate counts no stale one-way position
    _place(api, token, dryRun=False, side="SELL")
    exchange.control.position_mode(True)
    reconcile_after_connect()
    assert not PositionSnapshot.objects.exclude(position_amt=0)
    assert _place(api, token, dryRun=False, positionSide="SHORT", side="SELL").status_code == 200


def test_after_ttl_switching_back_trades_again(api, alice, token_for, exchange, settings):
    settings.SPARK_POSITION_MODE_MAX_AGE = 0  # every order reads the mode
    token = token_for(alice)
    _go_hedge(exchange)
    _refused(_place(api, token, dryRun=False), 400, "POSITION_SIDE_REQUIRED", "positionSide")
    _go_one_way(exchange)
    placed = _place(api, token, dryRun=False)
    assert placed.status_code == 200, placed.content
    assert _sides(exchange) == {"BOTH": "0.010"}


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("drain_sync_thread")
async def test_the_user_stream_reads_the_mode_on_every_reconnect_and_reports_side_fills(
    exchange, settings
):
    from futures.binance.streams import Backoff
    from tests.futures.test_stream_user import Harness, running
    from tests.support.waiting import apoll

    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # only the stream may change the reading
    h = Harness(exchange, backoff=Backoff(0.01, 0.05, 60))
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up" and h.reconciles == 1)
        assert position_mode_known().dual is False  # read at start-up (the first connect)

        assert exchange.control.position_mode(True)["code"] == 200
        exchange.control.faults(expire_listen_keys=True)  # the stream is cut and reconnects
        await apoll(lambda: h.reconciles == 2 and h.stream.stats.state == "up")
        assert position_mode_known().dual is True

        # a fill on a side arrives as ACCOUNT_UPDATE with ps=LONG: reported, not dropped
        _eth_market(exchange, "BUY", "LONG", "0.010")
        await apoll(lambda: bool(position_mode_known().side_positions))
        assert [
            (p["positionSide"], p["positionAmt"]) for p in position_mode_known().side_positions
        ] == [("LONG", "0.010")]

        _go_one_way(exchange)
        exchange.control.faults(expire_listen_keys=True)
        await apoll(lambda: h.reconciles == 3 and h.stream.stats.state == "up")
        mode = position_mode_known()
        assert mode.dual is False and mode.side_positions == ()


def test_concurrent_orders_read_a_stale_mode_once_per_process(exchange):
    import threading

    from futures.position_mode import position_mode_current

    start = threading.Barrier(8)
    modes = []

    def order_check() -> None:
        start.wait(timeout=30)
        modes.append(position_mode_current(max_age=3600).dual)

    from futures.binance.rest import client_from_settings

    client_from_settings().ping()  # the connector's clock sync, out of the count
    sent = exchange.control.counters()["requests"]
    threads = [threading.Thread(target=order_check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert modes == [False] * 8
    assert exchange.control.counters()["requests"] - sent == 1  # one GET positionSide/dual
