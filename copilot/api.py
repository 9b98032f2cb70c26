"""HTTP API of the copilot app (thin: validate, call a service, shape the answer)."""

from ninja import Router

router = Router(tags=["copilot"])
