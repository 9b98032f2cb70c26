"""Errors of the risk app, rendered by the one API error handler."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from risk.models import RiskLimits
from risk.selectors import filter_conflicts
from spark_site.error_messages import render
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
        self.conflicts = conflicts

    def localized_message(self) -> str | None:
        """The refusal in the active language, each rule with its figures (1.234,56 in Turkish).

        Built from the rules' codes, limits and values (the gate's English sentences stay in
        `message`, the audit and the stored decision). None in English, or for a rule or
        conflict this catalogue does not know: the code's sentence is used instead.
        """
        language = translation.get_language() or "tr"
        if self.decision is None or language.startswith("en"):
            return None
        symbol = self.decision.facts.get("symbol", "")
        parts = []
        for rule in self.decision.rules:
            template = RULE_MESSAGES.get(rule["rule"])
            if rule["rule"] == "max_position" and rule.get("unit") != "USD":
                template = MAX_POSITION_CONTRACTS
            if template is None:
                return None
            params = {
                "symbol": symbol,
                "value": _figure(rule["value"]),
                "limit": _figure(rule["limit"]),
            }
            parts.append(render(gettext(template), params, language))
        names = ", ".join(rule["rule"] for rule in self.decision.rules)
        text = render(gettext(REJECTED), {"rules": names, "reasons": " ".join(parts)}, language)
        for conflict in self.conflicts:
            template = CONFLICT_MESSAGES.get(conflict.get("filter", ""))
            if template is None:
                return None
            params = {
                "symbol": conflict.get("symbol", symbol),
                "filter": _figure(conflict.get("filterValue", "")),
                "limit": _figure(conflict.get("limitValue", "")),
            }
            text += " " + render(
                gettext(CONFLICT), {"text": render(gettext(template), params, language)}, language
            )
        return text


def _figure(text: str):
    """A figure the gate wrote as text ("3400"), back to a Decimal so it is shown per language."""
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return text


REJECTED = gettext_noop("The risk gate rejected the order (%(rules)s): %(reasons)s")
CONFLICT = gettext_noop("Conflict: %(text)s")
MAX_POSITION_CONTRACTS = gettext_noop(
    "%(symbol)s: the resulting position %(value)s contracts is above the max position %(limit)s."
)
# One sentence per rule of risk.gate, its figures filled in the request's language.
RULE_MESSAGES = {
    "max_notional": gettext_noop(
        "Order notional %(value)s USD is above the max notional %(limit)s USD."
    ),
    "max_position": gettext_noop(
        "%(symbol)s: the resulting position %(value)s USD is above the max position %(limit)s USD."
    ),
    "daily_loss": gettext_noop(
        "Today's loss %(value)s USD has reached the daily loss limit %(limit)s USD: only "
        "position-shrinking reduce-only orders are accepted until the day rolls over or an "
        "operator acts."
    ),
    "circuit_breaker": gettext_noop(
        "The circuit breaker is open: only reduce-only orders that shrink a position are accepted."
    ),
    "price": gettext_noop("%(symbol)s: no positive limit or mark price to value the order with."),
}
CONFLICT_MESSAGES = {
    "MIN_NOTIONAL": gettext_noop(
        "%(symbol)s: the exchange's minimum order notional %(filter)s USD is not below the max "
        "notional limit %(limit)s USD, so practically no order of this symbol can pass both."
    ),
    "LOT_SIZE.minQty": gettext_noop(
        "%(symbol)s: the exchange's minimum quantity %(filter)s is above the max position "
        "%(limit)s."
    ),
}


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
