"""HTTP API of the portfolio app (thin: validate, call a service, shape the answer)."""

from ninja import Router

router = Router(tags=["portfolio"])
