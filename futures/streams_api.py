"""HTTP API of the stream supervisor: ws.start, ws.stop, ws.status (thin: one service call)."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema
from pydantic import BaseModel, ConfigDict

from accounts.auth import READ_AUTH, write_auth
from futures import supervisor

router = Router(tags=["streams"])


class StartIn(Schema):
    symbols: list[str]


class StreamsOut(BaseModel):  # a ninja Schema would drop the extra keys
    """The supervisor's status: these keys always; the rest as the supervisor publishes them
    (mode, started_at, reconcile counts, klines; ws.status adds `supervisor` present/absent
    and the status's age), snake_case as the status page and the soak tests read them."""

    model_config = ConfigDict(extra="allow")

    running: bool
    symbols: list[str]
    # each: name, state, uptime_seconds, last_message_age_seconds, reconnects, ...
    connections: list[dict[str, Any]]


@router.post(
    "/ws.start", auth=write_auth("futures.control_streams", "streams.start"), response=StreamsOut
)
def ws_start(request, body: StartIn):
    """Start the market and user streams for symbols (or change the running symbol set)."""
    return supervisor.streams_start(user=request.auth, symbols=body.symbols)


@router.post(
    "/ws.stop", auth=write_auth("futures.control_streams", "streams.stop"), response=StreamsOut
)
def ws_stop(request):
    """Stop every stream: no socket and no task is left behind."""
    return supervisor.streams_stop(user=request.auth)


@router.get("/ws.status", auth=READ_AUTH, response=StreamsOut)
def ws_status(request):
    """Each connection's state, uptime, last message age and reconnect count."""
    return supervisor.read_status()
