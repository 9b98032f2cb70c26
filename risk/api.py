"""HTTP API of the risk app (thin: validate, call a service, shape the answer)."""

from ninja import Router

router = Router(tags=["risk"])
