"""Finding 9 (channel layer log): an idle command channel is not an error.

With the Redis channel layer, redis-py's 5 s read timeout met channels-redis' 5 s blocking pop,
so every idle receive raised and a traceback was logged every 6 s. In normal operation the command
loop must log nothing at WARNING or above, and still answer commands.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from futures.supervisor import Supervisor, acommand

pytestmark = [
    pytest.mark.usefixtures("drain_sync_thread", "fresh_channel_layer"),
    pytest.mark.backends,
    pytest.mark.timeout(60),
    pytest.mark.django_db(transaction=True),
]


def idle_seconds() -> float:
    """Two full 5 s blocking pops of the Redis layer, and then some; the in-memory layer has no
    blocking pop to wait out, so a short idle spell proves as much there (and spares 10 s)."""
    from django.conf import settings

    redis = "redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"].lower()
    return 11.0 if redis else 1.0


async def test_an_idle_command_channel_logs_no_warning_over_two_blocking_pops(sim_settings, caplog):
    sup = Supervisor(ws_root=sim_settings.ws_url, user_stream=False, mode="test")
    caplog.set_level(logging.DEBUG, logger="futures.supervisor")
    serving = asyncio.create_task(sup.serve(status_every=1.0))
    try:
        await asyncio.sleep(idle_seconds())
        reply = await acommand("status")
        assert reply["ok"] is True
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    loud = [
        r.getMessage()
        for r in caplog.records
        if r.name == "futures.supervisor" and r.levelno >= logging.WARNING
    ]
    assert loud == []
