"""The /ws/live/ consumer: who may connect, snapshot first, coalesced market data, no lost orders.

Runs on the in-memory channel layer, and again on channels-redis (marker `backends`, REDIS_URL).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from futures import broadcast
from futures.routing import websocket_urlpatterns
from futures.sync import order_sync_from_exchange
from tests.support import sessions
from tests.support.exchange_events import order_update
from tests.support.sessions import websocket_app

pytestmark = [
    pytest.mark.usefixtures("fresh_channel_layer"),
    pytest.mark.backends,
    pytest.mark.timeout(60),
    pytest.mark.django_db(transaction=True),
]


APP = websocket_app(websocket_urlpatterns)


async def communicator(user=None, origin: str = "http://testserver", path: str = "/ws/live/"):
    return await sessions.communicator(APP, path, user, origin)


async def receive_until(comm, predicate, seconds: float = 5.0) -> list[dict]:
    """Collect frames until one matches predicate; return them all."""
    frames = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching frame; got {frames}")
        frame = await comm.receive_json_from(timeout=left)
        frames.append(frame)
        if predicate(frame):
            return frames


def event(**o):
    return order_update(**{"c": "spark-live-1", "i": 9101, **o})


async def test_an_anonymous_socket_is_refused():
    comm = await communicator(None)
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_a_cross_origin_socket_is_refused_even_with_a_session(bob):
    comm = await communicator(bob, origin="https://evil.example")
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_a_viewer_gets_a_snapshot_first_then_order_deltas(bob):
    await sync_to_async(order_sync_from_exchange)(event(c="spark-live-0", i=9100), source="ws")
    comm = await communicator(bob)
    connected, _ = await comm.connect()
    assert connected
    try:
        await comm.send_json_to({"action": "subscribe", "topics": ["orders"]})
        first = await comm.receive_json_from(timeout=5)
        assert first["type"] == "snapshot" and first["topic"] == "orders"
        assert [o["client_order_id"] for o in first["data"]["open"]] == ["spark-live-0"]
        assert (await comm.receive_json_from(timeout=5))["type"] == "subscribed"

        await sync_to_async(order_sync_from_exchange)(event(), source="ws")
        frames = await receive_until(comm, lambda f: f["type"] == "event")
        assert frames[-1]["topic"] == "orders"
        assert frames[-1]["data"]["order"]["client_order_id"] == "spark-live-1"
        assert frames[-1]["data"]["order"]["status"] == "NEW"
    finally:
        await comm.disconnect()


async def test_topics_in_the_query_string_subscribe_at_connect_and_unknown_topics_are_refused(bob):
    await broadcast.apublish("ticker:ETHUSDT", {"symbol": "ETHUSDT", "last": "3000.00"})
    comm = await communicator(bob, path="/ws/live/?topics=ticker:ETHUSDT,nonsense")
    connected, _ = await comm.connect()
    assert connected
    try:
        frames = await receive_until(comm, lambda f: f["type"] == "subscribed")
        types = [(f["type"], f.get("topic")) for f in frames]
        assert ("error", None) in types
        snap = next(f for f in frames if f["type"] == "snapshot")
        assert snap["topic"] == "ticker:ETHUSDT" and snap["data"]["last"] == "3000.00"
        assert frames[-1]["topics"] == ["ticker:ETHUSDT"]
    finally:
        await comm.disconnect()


async def test_market_data_is_coalesced_per_client_while_order_events_all_arrive_in_order(bob):
    comm = await communicator(bob)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"action": "subscribe", "topics": ["ticker:BTCUSDT", "orders"]})
        await receive_until(comm, lambda f: f["type"] == "subscribed")
        start = time.monotonic()
        for i in range(200):
            await broadcast.apublish("ticker:BTCUSDT", {"symbol": "BTCUSDT", "last": str(i)})
            if i % 10 == 0:
                await broadcast.apublish("orders", {"order": {"seq": i}})
            await asyncio.sleep(0.003)
        elapsed = time.monotonic() - start
        frames = await receive_until(
            comm, lambda f: f["topic"] == "ticker:BTCUSDT" and f["data"]["last"] == "199"
        )
        # Drain what is left (an order event may trail the last tick).
        while not await comm.receive_nothing(timeout=0.3):
            frames.append(await comm.receive_json_from())
        ticks = [f for f in frames if f["topic"] == "ticker:BTCUSDT"]
        orders = [f["data"]["order"]["seq"] for f in frames if f["topic"] == "orders"]
        assert orders == list(range(0, 200, 10))  # none dropped, none reordered
        # At most one market frame per 100 ms (plus the leading one), the latest value last.
        assert len(ticks) <= elapsed / 0.1 + 2
        assert len(ticks) < 200 / 4
        assert ticks[-1]["data"]["last"] == "199"
        lasts = [int(f["data"]["last"]) for f in ticks]
        assert lasts == sorted(lasts)
    finally:
        await comm.disconnect()


async def test_order_events_published_from_request_threads_arrive_all_and_in_order(bob):
    """Views publish from worker threads without waiting for the channel layer: the events
    are queued on the server's loop and must still all arrive, in the order they happened."""
    comm = await communicator(bob)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"action": "subscribe", "topics": ["orders"]})
        await receive_until(comm, lambda f: f["type"] == "subscribed")

        def a_view_publishing(first: int) -> None:
            for seq in range(first, first + 40):
                broadcast.publish("orders", {"order": {"seq": seq}})

        await sync_to_async(a_view_publishing, thread_sensitive=False)(0)
        await sync_to_async(a_view_publishing, thread_sensitive=False)(40)
        frames = await receive_until(
            comm, lambda f: f["type"] == "event" and f["data"]["order"]["seq"] == 79
        )
        seqs = [f["data"]["order"]["seq"] for f in frames if f["type"] == "event"]
        assert seqs == list(range(80))
    finally:
        await comm.disconnect()


async def test_unsubscribing_stops_the_deltas(bob):
    comm = await communicator(bob)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"action": "subscribe", "topics": ["positions"]})
        await receive_until(comm, lambda f: f["type"] == "subscribed")
        await comm.send_json_to({"action": "unsubscribe", "topics": ["positions"]})
        await comm.send_json_to({"action": "ping"})
        await receive_until(comm, lambda f: f["type"] == "pong")
        await broadcast.apublish("positions", {"positions": []})
        assert await comm.receive_nothing(timeout=0.3)
    finally:
        await comm.disconnect()


async def test_the_risk_topic_gets_a_snapshot_and_a_live_breaker_change(bob):
    from risk.services import breaker_open

    comm = await communicator(bob)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"action": "subscribe", "topics": ["risk"]})
        snap = await comm.receive_json_from(timeout=5)
        assert snap["type"] == "snapshot" and snap["topic"] == "risk"
        assert snap["data"]["circuitBreaker"]["open"] is False
        await receive_until(comm, lambda f: f["type"] == "subscribed")

        await sync_to_async(breaker_open)(actor="system", reason="live test")
        frames = await receive_until(
            comm, lambda f: f["type"] == "event" and f["data"]["circuitBreaker"]["open"]
        )
        assert frames[-1]["data"]["circuitBreaker"]["openedReason"] == "live test"
    finally:
        await comm.disconnect()


async def test_a_market_snapshot_comes_from_the_cache_when_the_streams_run_elsewhere(bob):
    from django.core.cache import cache

    # Scale-out: run_streams mirrors its views into the shared cache; this process has none.
    broadcast.latest.pop("depth:SOLUSDT", None)
    view = {"symbol": "SOLUSDT", "bids": [["150.0", "3"]], "asks": [["150.1", "2"]], "E": 1}
    await cache.aset(broadcast.LATEST_CACHE_PREFIX + "depth:SOLUSDT", view, 30)
    comm = await communicator(bob, path="/ws/live/?topics=depth:SOLUSDT")
    assert (await comm.connect())[0]
    try:
        snap = await comm.receive_json_from(timeout=5)
        assert snap == {"type": "snapshot", "topic": "depth:SOLUSDT", "data": view}
    finally:
        await comm.disconnect()
        await cache.adelete(broadcast.LATEST_CACHE_PREFIX + "depth:SOLUSDT")
