"""Request and answer shapes of the canary API."""

from __future__ import annotations

from typing import Any

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


# ---------------------------------------------------------------------------------- answers
# A run as services.run_doc shapes it (the canary page reads the same document); the stored
# JSON parts (request, risk decision, simulated fill, confirmation, error) stay free-form.


class RunOut(Schema):
    id: int
    status: str
    createdAt: str | None  # noqa: N815
    startedBy: str  # noqa: N815
    environment: str
    request: dict[str, Any]
    riskDecision: dict[str, Any] | None  # noqa: N815
    simulatedFill: dict[str, Any] | None  # noqa: N815
    expiresAt: str | None  # noqa: N815
    confirmable: bool
    confirmedAt: str | None  # noqa: N815
    confirmation: dict[str, Any] | None
    exchangeOrderId: int | None  # noqa: N815
    keepPosition: bool  # noqa: N815
    error: dict[str, Any] | None
    evidenceSha256: str  # noqa: N815
    evidenceUrl: str  # noqa: N815


class RunAnswerOut(Schema):
    run: RunOut


class DefaultsOut(Schema):
    symbol: str
    side: str
    type: str
    quantity: str


class PolicyOut(Schema):
    environment: str
    exchangeHost: str  # noqa: N815
    testnetOnly: bool  # noqa: N815
    confirmAllowed: bool  # noqa: N815
    confirmTtlSeconds: int  # noqa: N815
    defaults: DefaultsOut


class CanaryStatusOut(Schema):
    policy: PolicyOut
    runs: list[RunOut]  # newest first
