"""HTTP API of the stream supervisor: ws.start, ws.stop, ws.status (thin: one service call)."""

from __future__ import annotations

from ninja import Router, Schema

from accounts.auth import READ_AUTH, write_auth
from futures import supervisor

router = Router(tags=["streams"])


class StartIn(Schema):
    symbols: list[str]


@router.post("/ws.start", auth=write_auth("futures.control_streams", "streams.start"))
def ws_start(request, body: StartIn):
    """Start the market and user streams for symbols (or change the running symbol set)."""
    return supervisor.streams_start(user=request.auth, symbols=body.symbols)


@router.post("/ws.stop", auth=write_auth("futures.control_streams", "streams.stop"))
def ws_stop(request):
    """Stop every stream: no socket and no task is left behind."""
    return supervisor.streams_stop(user=request.auth)


@router.get("/ws.status", auth=READ_AUTH)
def ws_status(request):
    """Each connection's state, uptime, last message age and reconnect count."""
    return supervisor.read_status()
