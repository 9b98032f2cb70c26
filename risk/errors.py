"""Errors of the risk app, rendered by the one API error handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from risk.models import RiskLimits
from risk.selectors import filter_conflicts
from spark_site.errors import DomainError

if TYPE_CHECKING:
    from risk.gate import Decision


class RiskRejected(DomainError):
    """The gate refused an order: details name every breached rule with its limit and value."""

    status = 422
    code = "RISK_REJECTED"

    def __init__(self, decision: Decision | str, *, details: dict | None = None, code: str = ""):
        if isinstance(decision, str):
            self.decision = None
            super().__init__(decision, details=details, code=code)
            return
        self.decision = decision
        names = ", ".join(rule["rule"] for rule in decision.rules) or "unknown"
        message = f"The risk gate rejected the order ({names}): " + "; ".join(
            rule["message"] for rule in decision.rules
        )
        body: dict = {"rules": list(decision.rules)}
        conflicts = list(decision.conflicts) or _conflicts_for(decision)
        if conflicts:
            body["conflicts"] = conflicts
            message += " Conflict: " + " ".join(c["message"] for c in conflicts)
        if details:
            body.update(details)
        super().__init__(message, details=body, code=code)


class BreakerStateConflict(DomainError):
    """The circuit breaker is already in the state asked for."""

    status = 409
    code = "BREAKER_STATE_CONFLICT"


def _conflicts_for(decision: Decision) -> list[dict]:
    """Exchange filters that make the breached size limits impossible to meet, if any."""
    names = {rule["rule"] for rule in decision.rules}
    symbol = decision.facts.get("symbol")
    if not symbol or not names & {"max_notional", "max_position"}:
        return []
    return filter_conflicts(RiskLimits.load(), symbol)
