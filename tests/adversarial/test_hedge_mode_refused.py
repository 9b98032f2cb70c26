"""Finding 11 of issue 20: a hedge-mode account is detected and refused, never misread.

The account is switched to hedge mode on the stand-in itself (signed with the sim key, the way a
trader would do it on Binance) and holds a LONG and a SHORT position there. Spark must then refuse
every order (live and dry run), the canary confirm and a close with 409 HEDGE_MODE_UNSUPPORTED,
send nothing, show the side positions instead of a flat account, show a banner, and trade again
once the account is one-way, without a restart.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from canary.models import CanaryRun
from futures.models import Order
from futures.position_mode import position_mode_forget, position_mode_known

pytestmark = pytest.mark.django_db(transaction=True)

HEDGE_BANNER_TR = "Çift yönlü pozisyon modu: işlem durduruldu"


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
    _eth_market(sim, "BUY", "LONG", long)
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


def _refused(response) -> dict:
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "HEDGE_MODE_UNSUPPORTED"
    assert error["details"]["dualSidePosition"] is True
    return error


@pytest.mark.parametrize("dry_run", [False, True])
def test_it_refuses_orders_on_a_hedge_account_and_sends_nothing(
    api, alice, token_for, exchange, dry_run
):
    _go_hedge(exchange)
    sent = _exchange_orders(exchange)

    error = _refused(_place(api, token_for(alice), dryRun=dry_run))

    assert "tek yönlü" in error["message"]  # Turkish by default
    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.010"}
    assert not Order.objects.exists()
    entry = AuditEntry.objects.get(action="order.place", outcome="rejected")
    assert entry.payload["error"]["code"] == "HEDGE_MODE_UNSUPPORTED"
    assert entry.payload["dryRun"] is dry_run


def test_the_refusal_speaks_english_on_request_and_a_close_is_refused_too(
    client, alice, token_for, exchange
):
    _go_hedge(exchange, long="0.020", short="0.010")
    token = token_for(alice)
    # the copilot's "close my long": a reduce-only SELL
    response = client.post(
        "/futures/order.place",
        data={
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.02",
            "reduceOnly": True,
            "dryRun": False,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    error = _refused(response)
    assert "one-way mode" in error["message"]
    assert _sides(exchange) == {"LONG": "0.020", "SHORT": "-0.010"}


def test_a_viewer_is_refused_for_the_role_before_the_mode_is_told(api, bob, token_for, exchange):
    _go_hedge(exchange)
    response = _place(api, token_for(bob), dryRun=False)
    assert response.status_code == 403
    assert response.json()["error"]["code"] != "HEDGE_MODE_UNSUPPORTED"


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

    # Spark still believes one-way and sends; the exchange refuses (-4061), Spark reads again
    error = _refused(_place(api, token, dryRun=False, clientOrderId="after-switch"))
    assert {p["positionSide"] for p in error["details"]["sidePositions"]} == {"LONG", "SHORT"}
    order = Order.objects.get(client_order_id="after-switch")
    assert order.status == "REJECTED" and order.error["code"] == "HEDGE_MODE_UNSUPPORTED"
    assert order.error["exchangeCode"] == -4061
    assert _exchange_orders(exchange) == sent  # refused by the exchange: nothing executed
    # from now on refused before anything is sent
    _refused(_place(api, token, dryRun=False))
    assert Order.objects.count() == 2  # the dry run and the refused one
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.010"}


def test_the_canary_confirm_is_refused_on_equal_sides_that_sum_to_flat(
    api, alice, token_for, exchange, settings
):
    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # the confirm must read the mode anyway
    token = token_for(alice)
    run = api.post("/canary/run", {}, token=token).json()["run"]
    assert run["status"] == "SIMULATED"
    _go_hedge(exchange, long="0.010", short="0.010")  # net 0: a sum would say "flat"
    sent = _exchange_orders(exchange)

    _refused(api.post("/canary/confirm", {"runId": run["id"]}, token=token))

    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": "0.010", "SHORT": "-0.010"}
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"  # confirmable later
    assert AuditEntry.objects.filter(
        action="canary.confirm", outcome="rejected", payload__error__code="HEDGE_MODE_UNSUPPORTED"
    ).exists()
    # and a new canary run (a dry run) is refused, not simulated against a "flat" account
    again = api.post("/canary/run", {}, token=token).json()["run"]
    assert again["status"] == "FAILED" and again["error"]["code"] == "HEDGE_MODE_UNSUPPORTED"


def test_side_positions_are_reported_not_skipped(api, bob, token_for, exchange):
    _go_hedge(exchange, long="0.030", short="0.010")
    token = token_for(bob)  # reading needs only the viewer role

    body = api.get("/futures/positions", token=token).json()

    assert body["positionMode"]["mode"] == "hedge"
    sides = {(p["symbol"], p["positionSide"]): p["positionAmt"] for p in body["positions"]}
    assert sides == {("ETHUSDT", "LONG"): "0.030", ("ETHUSDT", "SHORT"): "-0.010"}
    account = api.get("/futures/account", token=token).json()
    assert account["positionMode"]["dualSidePosition"] is True
    assert {p["positionSide"] for p in account["positionMode"]["sidePositions"]} == {
        "LONG",
        "SHORT",
    }
    status = api.get("/futures/risk/status", token=token).json()
    assert sorted(p["positionAmt"] for p in status["positions"]) == ["-0.01", "0.03"]


def test_the_dashboard_shows_the_banner_in_turkish_with_the_sides(client, alice, exchange):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert 'data-testid="hedge-mode-banner"' not in page  # one-way: no banner
    _go_hedge(exchange, long="0.030", short="0.010")
    position_mode_forget()  # as after the reading's max age

    page = client.get("/").content.decode()

    assert 'data-testid="hedge-mode-banner"' in page
    assert HEDGE_BANNER_TR in page and "Tek Yönlü Mod" in page
    assert "0,030" in page and "-0,010" in page  # Turkish numbers
    assert "Hedge mode: trading is stopped" not in page


def test_switching_back_trades_again_after_a_reconnect_without_restart(
    api, alice, token_for, exchange, settings, client
):
    from futures.events import reconcile_after_connect

    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # only the reconnect may change the reading
    token = token_for(alice)
    _go_hedge(exchange)
    _refused(_place(api, token, dryRun=False))
    _go_one_way(exchange)
    _refused(_place(api, token, dryRun=False))  # the reading is still hedge...

    reconcile_after_connect()  # ...until the user stream (re)connects, as after any cut

    placed = _place(api, token, dryRun=False)
    assert placed.status_code == 200, placed.content
    assert placed.json()["executed"] == "exchange"
    assert _sides(exchange) == {"BOTH": "0.010"}
    client.force_login(alice)
    assert 'data-testid="hedge-mode-banner"' not in client.get("/").content.decode()
    assert AuditEntry.objects.filter(
        action="position_mode.changed", payload__mode="one-way"
    ).exists()


def test_a_reconnect_catches_a_switch_to_hedge_before_the_next_order(
    api, alice, token_for, exchange, settings
):
    from futures.events import reconcile_after_connect

    settings.SPARK_POSITION_MODE_MAX_AGE = 3600
    token = token_for(alice)
    assert _place(api, token, dryRun=True).status_code == 200  # read: one-way
    _go_hedge(exchange)
    reconcile_after_connect()
    sent = _exchange_orders(exchange)

    _refused(_place(api, token, dryRun=False))

    assert _exchange_orders(exchange) == sent  # refused before sending, no -4061 needed
    assert AuditEntry.objects.filter(action="position_mode.changed", payload__mode="hedge").exists()


def test_after_ttl_switching_back_trades_again(api, alice, token_for, exchange, settings):
    settings.SPARK_POSITION_MODE_MAX_AGE = 0  # every order reads the mode
    token = token_for(alice)
    _go_hedge(exchange)
    _refused(_place(api, token, dryRun=False))
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
