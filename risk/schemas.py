"""Request bodies of the risk API."""

from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class PnLIn(Schema):
    symbol: str = Field(..., min_length=1, max_length=20)
    amount: Decimal
    reference: str = Field(..., min_length=1, max_length=100)
