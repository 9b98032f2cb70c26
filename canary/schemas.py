"""Request bodies of the canary API."""

from __future__ import annotations

from ninja import Field, Schema


class RunIn(Schema):
    symbol: str | None = Field(None, max_length=20)
    side: str | None = Field(None, max_length=4)
    quantity: str | None = Field(None, max_length=40)


class ConfirmIn(Schema):
    runId: int  # noqa: N815 - the seed's JSON name
    keepPosition: bool = False  # noqa: N815
    # Accepted and ignored: where the order goes follows from the configured base URL only.
    testnet: bool | None = None
