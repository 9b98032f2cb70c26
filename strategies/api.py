"""HTTP API of the strategies app (thin: validate, call a service, shape the answer)."""

from ninja import Router

router = Router(tags=["strategies"])
