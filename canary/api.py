"""HTTP API of the canary app (thin: validate, call a service, shape the answer)."""

from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Router

from accounts.auth import READ_AUTH, write_auth
from canary import services
from canary.schemas import (
    CanaryStatusOut,
    ConfirmIn,
    RunAnswerOut,
    RunIn,
    canary_status_out,
    run_out,
)

router = Router(tags=["canary"])


@router.post("/run", auth=write_auth("canary.run_canary", "canary.run"), response=RunAnswerOut)
def run(request, payload: RunIn):
    """Dry-run a small order through the order service and the risk gate; store the run."""
    result = services.canary_run(
        user=request.auth, symbol=payload.symbol, side=payload.side, quantity=payload.quantity
    )
    return {"run": run_out(result)}


@router.post(
    "/confirm", auth=write_auth("canary.confirm_canary", "canary.confirm"), response=RunAnswerOut
)
def confirm(request, payload: ConfirmIn):
    """Place the run's order for real, once, on a testnet only (never production)."""
    result = services.canary_confirm(
        user=request.auth, run_id=payload.runId, keep_position=payload.keepPosition
    )
    return {"run": run_out(result)}


@router.get("/status", auth=READ_AUTH, response=CanaryStatusOut)
def status(request):
    """The latest runs and the policy in force."""
    return canary_status_out(services.canary_status())


@router.get("/runs/{run_id}/evidence", auth=READ_AUTH)
def evidence(request, run_id: int):
    """The run's evidence document as a JSON download, its SHA-256 in a header."""
    found = services.run_get(run_id)
    body = json.dumps(found.evidence, sort_keys=True, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="canary-{found.pk}-evidence.json"'
    response["X-Evidence-SHA256"] = found.evidence_sha256
    return response
