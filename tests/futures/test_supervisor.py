"""The supervisor in-process: start, change symbols, stop with no task or socket left behind."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import psutil
import pytest
from asgiref.sync import sync_to_async

from accounts.roles import TRADER
from futures import attached
from futures.binance.streams import Backoff
from futures.models import AttachState, Order
from futures.services import OrderRequest
from futures.supervisor import Supervisor
from tests.support.waiting import apoll

pytestmark = [
    pytest.mark.usefixtures("drain_sync_thread", "fresh_channel_layer"),
    pytest.mark.backends,
    pytest.mark.timeout(60),
    pytest.mark.django_db(transaction=True),
]


def sockets_to(port: int) -> set[tuple]:
    """This process's open TCP connections to the stand-in."""
    return {
        (c.laddr, c.raddr)
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status != psutil.CONN_TIME_WAIT
    }


def up(sup: Supervisor) -> bool:
    conns = sup.status()["connections"]
    return bool(conns) and all(c["state"] == "up" for c in conns)


async def test_stop_leaves_no_task_and_no_socket_behind(sim_settings):
    sim = sim_settings
    sim.control.feed(True)
    port = int(sim.base_url.rsplit(":", 1)[1])
    sim.control.http.close()  # the control client's keep-alive socket is not ours to count
    before_sockets = sockets_to(port)
    before_tasks = asyncio.all_tasks()
    sup = Supervisor(ws_root=sim.ws_url, user_stream=True, mode="test")
    await sup.start(["BTCUSDT"])
    await apoll(lambda: up(sup) and sup.reconciles == 1)
    await apoll(lambda: "ticker:BTCUSDT" in sup.market.views())
    names = {c["name"] for c in sup.status()["connections"]}
    assert names == {"market", "user"}
    during = sockets_to(port) - before_sockets
    assert len(during) >= 2  # the check below can fail: the sockets are visible here
    sockets = [c.ws for c in sup.connections.values()]

    status = await sup.stop()

    assert status["running"] is False and status["connections"] == []
    leftover = [t for t in asyncio.all_tasks() - before_tasks if not t.done()]
    assert leftover == [asyncio.current_task()] or leftover == []
    assert all(ws is not None and ws.state.name == "CLOSED" for ws in sockets)
    await apoll(lambda: not (sockets_to(port) - before_sockets), 5)
    assert sim.control.state()["listen_keys"] == {}  # the listen key was closed too


async def test_start_while_running_changes_the_symbols_without_a_reconnect(sim_settings):
    sim = sim_settings
    sim.control.feed(True)
    sup = Supervisor(ws_root=sim.ws_url, user_stream=False, mode="test")
    try:
        await sup.start(["BTCUSDT"])
        await apoll(lambda: up(sup))
        await sup.start(["BTCUSDT", "ETHUSDT"])
        await apoll(lambda: "ticker:ETHUSDT" in sup.market.views())
        market = sup.status()["connections"][0]
        assert market["connects"] == 1 and market["reconnects"] == 0
        assert "ethusdt@depth5@100ms" in market["streams"]
        assert sup.status()["symbols"] == ["BTCUSDT", "ETHUSDT"]
    finally:
        await sup.stop()


async def test_routed_mode_puts_depth_on_public_and_the_rest_on_market(sim_settings):
    sim = sim_settings
    sim.control.feed(True)
    sup = Supervisor(
        ws_root=sim.ws_url,
        routed=True,
        user_stream=False,
        mode="test",
        backoff_factory=lambda: Backoff(0.05, 0.2, 30),
    )
    try:
        await sup.start(["BTCUSDT"])
        await apoll(lambda: up(sup))
        urls = {name: c.url() for name, c in sup.connections.items()}
        assert urls["market"].startswith(sim.ws_url + "/market/stream?streams=")
        assert "depth" not in urls["market"]
        assert urls["depth"] == sim.ws_url + "/public/stream?streams=btcusdt@depth5@100ms"
        await apoll(lambda: {"ticker:BTCUSDT", "depth:BTCUSDT"} <= set(sup.market.views()))
    finally:
        await sup.stop()


async def test_commands_arrive_over_the_channel_layer_and_status_reaches_the_cache(sim_settings):
    from futures.supervisor import acommand, read_status

    sim = sim_settings
    sup = Supervisor(ws_root=sim.ws_url, user_stream=False, mode="test")
    serving = asyncio.create_task(sup.serve(status_every=0.2))
    try:
        reply = await acommand("start", symbols=["ETHUSDT"])
        assert reply["ok"] and reply["status"]["symbols"] == ["ETHUSDT"]
        await apoll(lambda: up(sup))
        await asyncio.sleep(0.3)
        status = await asyncio.to_thread(read_status)
        assert status["supervisor"] == "present" and status["running"] is True
        assert status["connections"][0]["state"] == "up"
        reply = await acommand("stop")
        assert reply["ok"] and reply["status"]["running"] is False
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    assert sup.tasks == {} and sup._background == []  # noqa: SLF001


async def test_a_limit_entry_filled_on_the_stream_gets_its_stop_from_the_supervisor(
    sim_settings, make_user
):
    """The whole path: entry resting on the exchange, price crosses, the user stream brings the
    fill, the supervisor places the attached stop with no request from anyone."""
    sim = sim_settings
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    user = await sync_to_async(make_user)("ent-trader", TRADER)
    sup = Supervisor(ws_root=sim.ws_url, user_stream=True, mode="test")
    await sup.start(["ETHUSDT"])
    try:
        await apoll(lambda: up(sup) and sup.reconciles == 1)
        done = await sync_to_async(attached.place_entry)(
            user=user,
            request=OrderRequest(
                symbol="ETHUSDT",
                side="BUY",
                type="LIMIT",
                quantity=Decimal("0.01"),
                price=Decimal("3300"),
                client_order_id="sup-entry",
                dry_run=False,
            ),
            take_profit=None,
            stop_loss=Decimal("3200"),
        )
        assert done.entry.order.attach_state == AttachState.PENDING
        sim.control.set_price("ETHUSDT", "3290", mark="3290")

        async def state():
            row = await Order.objects.aget(client_order_id="sup-entry")
            return row.attach_state == AttachState.PLACED

        await apoll(state, what="the attached stop placed by the supervisor")
        algos = sim.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
        assert [(a["orderType"], Decimal(a["triggerPrice"])) for a in algos] == [
            ("STOP_MARKET", Decimal("3200"))
        ]
    finally:
        await sup.stop()
