"""HTTP API of the canary app (thin: validate, call a service, shape the answer)."""

from ninja import Router

router = Router(tags=["canary"])
