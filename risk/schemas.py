"""Request bodies of the risk API."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import field_validator

from risk.models import MONEY
from spark_site.money import Money

# A manual entry is one desk's correction, not a fortune: a bound well inside the column keeps
# the day's sum (and the breaker's acknowledged PnL, the same column) storable.
PNL_BOUND = 1_000_000_000
PnLAmount = Money(**MONEY, ge=-PNL_BOUND, le=PNL_BOUND)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class PnLIn(Schema):
    symbol: str = Field(..., pattern=r"^[A-Z0-9]{5,20}$")
    amount: PnLAmount
    # Stored as "manual:<reference>" (source_ref, 120 characters): printable and unpadded, so
    # the answer and the audit echo exactly what is stored.
    reference: str = Field(..., min_length=1, max_length=100)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value):
        if value.is_zero():
            raise ValueError("a profit or a loss, not 0")
        return value

    @field_validator("reference")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise ValueError("printable text without leading or trailing spaces")
        return value
