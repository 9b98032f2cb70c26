"""HTTP API of the futures app (thin: validate, call a service, shape the answer)."""

from ninja import Router

router = Router(tags=["futures"])
