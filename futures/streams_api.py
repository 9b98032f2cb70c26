"""HTTP API of the stream supervisor: ws.start, ws.stop, ws.status."""

from ninja import Router

router = Router(tags=["streams"])
