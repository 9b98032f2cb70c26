"""Request and answer shapes of the canary API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from ninja import Field, Schema

from canary.models import CanaryRun
from spark_site.answers import Answer
from spark_site.money import Money, StrictBool

if TYPE_CHECKING:
    from canary.services import CanaryStatus

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
# A run as run_out shapes it (the canary page reads the same document); the stored
# JSON parts (request, risk decision, simulated fill, confirmation, error) stay free-form.


class RunOut(Answer):
    id: int
    status: str
    createdAt: str | None  # noqa: N815
    startedBy: str  # noqa: N815
    environment: str
    request: dict[str, Any]
    # The account's mode the run read ("one-way" or "hedge"; "" if it could not be read) and
    # the positionSide of its order (BOTH; LONG or SHORT in hedge mode).
    positionMode: str  # noqa: N815
    positionSide: str  # noqa: N815
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


class RunAnswerOut(Answer):
    run: RunOut


class DefaultsOut(Answer):
    symbol: str
    side: str
    type: str
    quantity: str


class PolicyOut(Answer):
    environment: str
    exchangeHost: str  # noqa: N815
    testnetOnly: bool  # noqa: N815
    confirmAllowed: bool  # noqa: N815
    confirmTtlSeconds: int  # noqa: N815
    defaults: DefaultsOut


class CanaryStatusOut(Answer):
    policy: PolicyOut
    runs: list[RunOut]  # newest first


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def run_out(run: CanaryRun, now=None) -> dict[str, Any]:
    """A stored run as the API and the canary page show it."""
    now = now or timezone.now()
    return {
        "id": run.pk,
        "status": run.status,
        "createdAt": _iso(run.created_at),
        "startedBy": run.started_by_name,
        "environment": run.environment,
        "request": run.request,
        "positionMode": run.position_mode,
        "positionSide": run.position_side,
        "riskDecision": run.risk_decision,
        "simulatedFill": run.simulated_fill,
        "expiresAt": _iso(run.expires_at),
        "confirmable": run.status == CanaryRun.Status.SIMULATED and not run.is_expired(now),
        "confirmedAt": _iso(run.confirmed_at),
        "confirmation": run.confirmation,
        "exchangeOrderId": run.exchange_order_id,
        "keepPosition": run.keep_position,
        "error": run.error,
        "evidenceSha256": run.evidence_sha256,
        "evidenceUrl": f"/canary/runs/{run.pk}/evidence",
    }


def canary_status_out(status: CanaryStatus) -> dict[str, Any]:
    """services.CanaryStatus as GET /canary/status answers it."""
    return {"policy": status.policy, "runs": [run_out(r, status.now) for r in status.runs]}
