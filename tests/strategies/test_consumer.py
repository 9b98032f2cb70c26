"""/ws/strategies/opt/<id>/: a snapshot, then every progress event of the job's group."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from strategies.documents import ema_cross
from strategies.models import OptimizationRun
from strategies.optimize import group_of
from strategies.routing import websocket_urlpatterns
from tests.support.sessions import communicator, websocket_app

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

APP = websocket_app(websocket_urlpatterns)


def make_run() -> OptimizationRun:
    return OptimizationRun.objects.create(
        document=ema_cross(), space={"fast.period": [1, 2]}, start_ms=0, end_ms=1, total=2
    )


async def connect(path, user=None):
    comm = await communicator(APP, path, user)
    connected, _ = await comm.connect()
    return comm, connected


async def test_it_sends_a_snapshot_then_forwards_progress(alice):
    run = await sync_to_async(make_run)()
    comm, connected = await connect(f"/ws/strategies/opt/{run.pk}/", alice)
    try:
        assert connected
        snap = await comm.receive_json_from(timeout=5)
        assert snap["type"] == "snapshot" and snap["id"] == run.pk and snap["total"] == 2
        await get_channel_layer().group_send(
            group_of(run.pk),
            {"type": "opt.progress", "id": run.pk, "status": "RUNNING", "done": 1, "total": 2},
        )
        event = await comm.receive_json_from(timeout=5)
        assert event == {
            "type": "progress",
            "id": run.pk,
            "status": "RUNNING",
            "done": 1,
            "total": 2,
        }
    finally:
        await comm.disconnect()


async def test_an_anonymous_socket_is_refused(db):
    run = await sync_to_async(make_run)()
    comm, connected = await connect(f"/ws/strategies/opt/{run.pk}/")
    assert not connected
    await comm.disconnect()


async def test_the_runners_socket_sends_every_runner_then_each_change(alice):
    comm, connected = await connect("/ws/strategies/runners/", alice)
    try:
        assert connected
        snap = await comm.receive_json_from(timeout=5)
        assert snap == {"type": "snapshot", "runners": []}
        await get_channel_layer().group_send(
            "strategies.runners",
            {"type": "runner.update", "runner": {"id": 7, "status": "STOPPED"}},
        )
        assert await comm.receive_json_from(timeout=5) == {
            "type": "runner",
            "id": 7,
            "status": "STOPPED",
        }
    finally:
        await comm.disconnect()


async def test_an_anonymous_runners_socket_is_refused(db):
    comm, connected = await connect("/ws/strategies/runners/")
    assert not connected
    await comm.disconnect()
