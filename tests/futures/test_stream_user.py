"""The user data stream against the stand-in: listen keys, reconciliation, idempotent events."""

from __future__ import annotations

import asyncio
import contextlib
import random
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from futures.binance.streams import Backoff, ListenKeyClient, UserStream
from futures.events import handle_user_event, reconcile_after_connect
from futures.models import AccountSnapshot, Fill, Order, PositionSnapshot
from tests.support.waiting import apoll

pytestmark = [
    pytest.mark.usefixtures("drain_sync_thread"),
    pytest.mark.timeout(60),
    pytest.mark.django_db(transaction=True),
]


class Fixed(random.Random):
    """Jitter pinned at 3/4 of the ceiling, so a test knows how long a back-off lasts."""

    def uniform(self, a, b):
        return b * 0.75


class Harness:
    """A UserStream wired as the supervisor wires it: events to services, reconcile on connect."""

    def __init__(self, sim, **kw):
        self.events: list[dict] = []
        self.reconciles = 0
        self.stream = UserStream(
            "user-test",
            sim.ws_url,
            ListenKeyClient(sim.base_url, sim.api_key),
            self.on_event,
            on_connected=self.on_connected,
            silence_timeout=None,
            **kw,
        )

    async def on_event(self, event: dict) -> None:
        self.events.append(event)
        await sync_to_async(handle_user_event)(event)

    async def on_connected(self) -> None:
        await sync_to_async(reconcile_after_connect)()
        self.reconciles += 1


@contextlib.asynccontextmanager
async def running(stream):
    task = asyncio.create_task(stream.run())
    try:
        yield task
    finally:
        await stream.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def place_limit_buy(sim, cid: str, price: str, qty: str = "0.010") -> dict:
    r = sim.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity=qty,
        price=price,
        newClientOrderId=cid,
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_an_early_expired_listen_key_is_replaced_and_the_socket_reconnects(sim_settings):
    sim = sim_settings
    h = Harness(sim, backoff=Backoff(0.01, 0.05, 60))
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up" and h.reconciles == 1)
        first = h.stream.listen_key
        sim.control.faults(expire_listen_keys=True)
        await apoll(lambda: h.stream.key_renewals >= 1 and h.stream.stats.state == "up")
        await apoll(lambda: h.reconciles == 2)
        assert h.stream.listen_key and h.stream.listen_key != first
        assert sim.control.state()["listen_keys"].keys() == {h.stream.listen_key}
        assert h.stream.stats.reconnects == 1
        # The new socket delivers: a balance change arrives as ACCOUNT_UPDATE.
        sim.control.balances(futures={"USDT": "12345"})
        await apoll(lambda: any(e.get("e") == "ACCOUNT_UPDATE" for e in h.events))
        await apoll(
            AccountSnapshot.objects.filter(
                environment="sim", wallet_balance=Decimal("12345")
            ).aexists
        )


async def test_a_listen_key_closed_behind_its_back_is_replaced(sim_settings):
    sim = sim_settings
    h = Harness(sim, backoff=Backoff(0.01, 0.05, 60))
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up")
        first = h.stream.listen_key
        r = sim.control.http.delete(
            sim.base_url + "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.api_key}
        )
        assert r.status_code == 200
        await apoll(
            lambda: h.stream.listen_key not in (None, first) and h.stream.stats.state == "up"
        )
    assert h.stream.stats.errors >= 1


async def test_the_keepalive_extends_the_key_on_schedule(sim_settings):
    sim = sim_settings
    h = Harness(sim, keepalive_seconds=0.2)
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up")
        key = h.stream.listen_key
        first_expiry = sim.control.state()["listen_keys"][key]["expires_ms"]
        await asyncio.sleep(0.6)
        assert sim.control.state()["listen_keys"][key]["expires_ms"] > first_expiry
        assert h.stream.listen_key == key


async def test_stopping_closes_the_listen_key(sim_settings):
    sim = sim_settings
    h = Harness(sim)
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up")
    assert sim.control.state()["listen_keys"] == {}


async def test_a_fill_that_happened_while_disconnected_is_in_the_database_after_reconnect(
    sim_settings,
):
    sim = sim_settings
    sim.control.set_price("BTCUSDT", "60000")
    # Back-off pinned at 0.75 s: long enough to fill the order while the socket is down.
    h = Harness(sim, backoff=Backoff(1.0, 1.0, 60, rng=Fixed()))
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up" and h.reconciles == 1)
        placed = place_limit_buy(sim, "spark-gap-1", "59000")
        await apoll(lambda: any(e.get("o", {}).get("c") == "spark-gap-1" for e in h.events))
        order = await Order.objects.aget(client_order_id="spark-gap-1")
        assert order.status == "NEW" and order.exchange_order_id == placed["orderId"]

        # Cut the user socket after its next frame, then fill the order while it is down.
        sim.control.faults(ws_cut_after=1)
        sim.control.balances(futures={"USDT": "10001"})
        await apoll(lambda: h.stream.stats.state != "up")
        sim.control.clear_faults()
        seen = len(h.events)
        sim.control.set_price("BTCUSDT", "58900")
        assert not await Fill.objects.filter(order__client_order_id="spark-gap-1").aexists()

        await apoll(lambda: h.reconciles == 2 and h.stream.stats.state == "up")
        # The fill's event went nowhere (the socket was down); reconciliation recovered it.
        assert not any(
            e.get("o", {}).get("c") == "spark-gap-1" and e["o"].get("X") == "FILLED"
            for e in h.events[seen:]
        )
        order = await Order.objects.aget(client_order_id="spark-gap-1")
        assert order.status == "FILLED"
        assert await Fill.objects.filter(order=order).acount() >= 1
        assert h.stream.stats.reconnects == 1


async def test_replayed_user_events_change_nothing(sim_settings):
    sim = sim_settings
    sim.control.set_price("BTCUSDT", "60000")
    h = Harness(sim)
    async with running(h.stream):
        await apoll(lambda: h.stream.stats.state == "up")
        place_limit_buy(sim, "spark-replay-1", "60500")  # marketable: fills at once

        def filled():
            return any(e.get("o", {}).get("X") == "FILLED" for e in h.events)

        await apoll(filled)
        await asyncio.sleep(0.2)

    def state():
        o = Order.objects.get(client_order_id="spark-replay-1")
        return (o.status, o.filled_qty, o.avg_price, Fill.objects.filter(order=o).count())

    before = await sync_to_async(state)()
    assert before[0] == "FILLED" and before[3] >= 1
    # The fill's ACCOUNT_UPDATE moved the position snapshot.
    position = await PositionSnapshot.objects.aget(environment="sim", symbol="BTCUSDT")
    assert position.position_amt == Decimal("0.010")
    for event in list(h.events) * 2:  # every event, twice more
        await sync_to_async(handle_user_event)(event)
    assert await sync_to_async(state)() == before
