"""GET /health: the database and channel layer, each named when it fails."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from ninja import Router, Status

from spark_site import __version__
from spark_site.answers import Answer

router = Router(tags=["system"])


class HealthOut(Answer):
    status: str
    db: str
    channel_layer: str
    version: str


def check_db() -> str:
    """Return 'ok' or the error class name of a failing database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - health reports any failure by name
        return f"error: {type(exc).__name__}"


async def _layer_roundtrip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("health.")
    marker = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "marker": marker})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("marker") != marker:
        raise RuntimeError("channel layer returned another message")


def check_channel_layer() -> str:
    """Return 'ok' after a send/receive round trip, or the error class name."""
    try:
        async_to_sync(_layer_roundtrip)()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"


@router.get("/health", response={200: HealthOut, 503: HealthOut}, auth=None)
def health(request):
    """Liveness and readiness: 503 names the failing part."""
    db = check_db()
    layer = check_channel_layer()
    ok = db == "ok" and layer == "ok"
    body = {
        "status": "ok" if ok else "degraded",
        "db": db,
        "channel_layer": layer,
        "version": __version__,
    }
    return Status(200 if ok else 503, body)
