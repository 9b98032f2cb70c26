"""Request bodies of the canary API."""

from __future__ import annotations

from ninja import Field, Schema

from spark_site.money import Money, StrictBool

# CanaryRun.quantity is DecimalField(max_digits=28, decimal_places=10), as the Order columns.
CanaryQuantity = Money(max_digits=28, decimal_places=10, gt=0)


class RunIn(Schema):
    symbol: str | None = Field(None, max_length=20)
    side: str | None = Field(None, max_length=4)
    quantity: CanaryQuantity | None = None


class ConfirmIn(Schema):
    runId: int  # noqa: N815 - the seed's JSON name
    keepPosition: StrictBool = False  # noqa: N815
    # Accepted and ignored: where the order goes follows from the configured base URL only.
    testnet: StrictBool = False
