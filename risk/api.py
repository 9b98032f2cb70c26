"""HTTP API of the risk app (thin: validate, call a service, shape the answer)."""

from __future__ import annotations

from ninja import Router

from accounts.auth import READ_AUTH, write_auth
from risk import services
from risk.schemas import (
    BreakerAnswerOut,
    PnLIn,
    PnLRecordedOut,
    ReasonIn,
    RiskStatusOut,
    risk_status_out,
)
from risk.selectors import fmt

router = Router(tags=["risk"])


@router.get("/status", auth=READ_AUTH, response=RiskStatusOut)
def status(request):
    """Limits, today's PnL and loss budget, the breaker, position use and filter conflicts."""
    return risk_status_out(services.risk_status())


@router.post(
    "/circuit-breaker/close",
    auth=write_auth("risk.close_circuit_breaker", "risk.breaker.close"),
    response=BreakerAnswerOut,
)
def circuit_breaker_close(request, payload: ReasonIn):
    """Close the circuit breaker (operator; a reason is required)."""
    breaker = services.breaker_close(actor=request.auth, reason=payload.reason)
    return {"circuitBreaker": breaker.as_dict()}


@router.post(
    "/circuit-breaker/open",
    auth=write_auth("risk.open_circuit_breaker", "risk.breaker.open"),
    response=BreakerAnswerOut,
)
def circuit_breaker_open(request, payload: ReasonIn):
    """Open the circuit breaker by hand (operator; a reason is required)."""
    breaker = services.breaker_open(actor=request.auth, reason=payload.reason)
    return {"circuitBreaker": breaker.as_dict()}


@router.post(
    "/record-pnl",
    auth=write_auth("risk.record_pnl", "risk.pnl.record"),
    response=PnLRecordedOut,
)
def record_pnl(request, payload: PnLIn):
    """Book a manual realized PnL entry (operator); the same reference counts once."""
    entry, created = services.pnl_record_manual(
        user=request.auth, symbol=payload.symbol, amount=payload.amount, reference=payload.reference
    )
    return {
        "created": created,
        "entry": {
            "id": entry.pk,
            "symbol": entry.symbol,
            "amount": fmt(entry.amount),
            "source": entry.source,
            "reference": entry.source_ref,
            "tradingDay": entry.trading_day.isoformat(),
        },
        "circuitBreaker": services.CircuitBreaker.load().as_dict(),
    }
