"""/ws/strategies/opt/<id>/: a snapshot, then every progress event of the job's group."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from strategies.documents import ema_cross
from strategies.models import OptimizationRun
from strategies.optimize import group_of
from strategies.routing import websocket_urlpatterns

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

APP = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def make_run() -> OptimizationRun:
    return OptimizationRun.objects.create(
        document=ema_cross(), space={"fast.period": [1, 2]}, start_ms=0, end_ms=1, total=2
    )


async def connect(path, user=None):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        key = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    comm = WebsocketCommunicator(APP, path, headers=headers)
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
