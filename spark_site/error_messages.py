"""The API's messages in the request's language: one catalogue, codes stay English and stable.

Services raise with an English message (`DomainError("…")`); the one error shape
(spark_site.errors.error_body) passes it through `localize()`. A message with a translation in
locale/*/django.po is translated as it is. A message that carries values is raised as a template
with its values apart (`DomainError("… %(mark)s …", params={"mark": mark})`): the template is
translated and the values are written the language's way (Decimal 1234.5 → 1.234,5 in Turkish);
`message_of(exc)` gives that sentence. A message built with values and no template falls back to
its code's sentence below, so a Turkish request never gets an English sentence. The exact English
text stays available to any client that asks in English (Accept-Language: en without a session,
or a user who picked English).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from spark_site.labels import label

ISTANBUL = ZoneInfo("Europe/Istanbul")

# One sentence per stable error code (what a person can do about it).
CODE_MESSAGES: dict[str, str] = {
    "BAD_REQUEST": gettext_noop("The request could not be understood."),
    "NOT_AUTHENTICATED": gettext_noop("Authentication is required."),
    "PERMISSION_DENIED": gettext_noop("Your role does not allow this action."),
    "FORBIDDEN": gettext_noop("This request is not allowed."),
    "NOT_OWNER": gettext_noop("Only its owner or an operator may act on this object."),
    "NOT_FOUND": gettext_noop("Not found."),
    "METHOD_NOT_ALLOWED": gettext_noop("This method is not allowed on this endpoint."),
    "PAYLOAD_TOO_LARGE": gettext_noop("The request body is too large."),
    "VALIDATION_ERROR": gettext_noop("Invalid request: check the fields listed in details."),
    "CONFLICT": gettext_noop("The request conflicts with the current state; nothing was changed."),
    "CSRF_FAILED": gettext_noop("CSRF token missing or invalid; reload the page and try again."),
    "HTTP_ERROR": gettext_noop("The request failed."),
    "INTERNAL_ERROR": gettext_noop("Internal error; nothing was changed. The incident is logged."),
    "SERVICE_UNAVAILABLE": gettext_noop("The service is unavailable right now; try again soon."),
    "TOKEN_INVALID": gettext_noop("The API token is invalid, expired or revoked."),
    "TIMEOUT": gettext_noop("The operation timed out; check its state before retrying."),
    "RISK_REJECTED": gettext_noop(
        "The risk gate refused the order; the breached rules are listed in details."
    ),
    "FILTER_REJECTED": gettext_noop(
        "The order breaks the exchange's filters (step, tick or minimum notional); see details."
    ),
    "UNKNOWN_SYMBOL": gettext_noop("The exchange does not list this symbol."),
    "ORDER_NOT_CANCELABLE": gettext_noop("This order can no longer be canceled."),
    "ILLEGAL_ORDER_TRANSITION": gettext_noop("The order cannot move to that status."),
    "CLIENT_ORDER_ID_MISMATCH": gettext_noop("The client order id belongs to another order."),
    "POSITION_SIDE_MISMATCH": gettext_noop(
        "positionSide does not match the account's position mode; nothing was sent."
    ),
    "POSITION_SIDE_REQUIRED": gettext_noop(
        "The account is in hedge mode: positionSide must be LONG or SHORT; nothing was sent."
    ),
    "REDUCE_ONLY_IN_HEDGE_MODE": gettext_noop(
        "The account is in hedge mode, where reduceOnly is refused; nothing was sent."
    ),
    "EXCHANGE_UNAVAILABLE": gettext_noop("The exchange cannot be reached; nothing was changed."),
    "EXCHANGE_REJECTED": gettext_noop("The exchange rejected the request; see details."),
    "EXCHANGE_ERROR": gettext_noop("The exchange answered with an error; see details."),
    "EXCHANGE_STATUS_UNKNOWN": gettext_noop(
        "The exchange did not say whether the order was taken; it is being reconciled."
    ),
    "EXCHANGE_RATE_LIMITED": gettext_noop("The exchange's rate limit was hit; try again shortly."),
    "EXCHANGE_NO_SUCH_ORDER": gettext_noop("The exchange has no such order."),
    "EXCHANGE_CLOCK_SKEW": gettext_noop(
        "The exchange refused the request time; check this machine's clock."
    ),
    "EXCHANGE_AUTH_FAILED": gettext_noop("The exchange refused the API key or its signature."),
    "STREAMS_UNAVAILABLE": gettext_noop("The market streams are unavailable right now."),
    "BREAKER_STATE_CONFLICT": gettext_noop("The circuit breaker is already in that state."),
    "CANARY_POSITION_NOT_FLAT": gettext_noop(
        "The canary needs a flat position on its symbol; close the position first."
    ),
    "CANARY_LIVE_REFUSED": gettext_noop(
        "Canary orders run only on a testnet, never on production."
    ),
    "CANARY_EXPIRED": gettext_noop("The canary run expired; start a new one."),
    "CANARY_MODE_CHANGED": gettext_noop(
        "The account's position mode changed since the canary run; nothing was sent. Start a "
        "new run."
    ),
    "CANARY_CONFLICT": gettext_noop("The canary run is not in a state that allows this."),
    "INVALID_STRATEGY": gettext_noop("The strategy is not valid; see details."),
    "NO_KLINES": gettext_noop("No candles are stored for that symbol and period; fetch them."),
    "RUNNER_REFUSED": gettext_noop("The strategy runner refused the request; see details."),
    "PROPOSAL_CONFLICT": gettext_noop("The proposal is not in a state that allows this."),
    "FOUR_EYES_REQUIRED": gettext_noop("Another operator than the proposer must approve this."),
}
FALLBACK = gettext_noop("The request failed; see the code and details.")


@lru_cache(maxsize=4)
def _translated_values(language: str) -> frozenset[str]:
    """Every translated string of language's catalogue (to spot a message already localized)."""
    catalog = translation.trans_real.translation(language)._catalog  # noqa: SLF001
    return frozenset(v for _, v in catalog.items() if isinstance(v, str))


def localize(code: str, message: str) -> str:
    """Return message in the active language (see the module docstring for the rule)."""
    language = translation.get_language() or "tr"
    if language.startswith("en"):
        return message
    translated = gettext(message) if message else message
    if translated != message or message in _translated_values(language):
        return translated
    return gettext(CODE_MESSAGES.get(code, FALLBACK))


def number(value: Decimal | int, language: str) -> str:
    """A figure as the language writes it, every digit kept: 1.234,56 (tr), 1234.56 (en).

    English keeps the plain form the API has always sent (no grouping), so English messages
    read as before and a client may copy a figure back into a request.
    """
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if language.startswith("en"):
        return text
    sign = "-" if text.startswith("-") else ""
    whole, _dot, frac = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def render(template: str, params: dict[str, Any], language: str) -> str:
    """template % params, each Decimal and time written the language's way (ints and text as
    they are: an order number or a symbol is not a figure)."""
    return template % {key: _shown(key, value, language) for key, value in params.items()}


def _shown(key: str, value: Any, language: str) -> Any:
    if (
        (key == "status" or key.endswith("_status"))
        and isinstance(value, str)
        and not language.startswith("en")
    ):
        return str(label(value))  # FILLED → gerçekleşti: a status in words, the code in details
    if isinstance(value, Decimal):
        return number(value, language)
    if isinstance(value, datetime):
        if language.startswith("en"):
            return value.isoformat()  # UTC, as stored
        return value.astimezone(ISTANBUL).strftime("%d.%m.%Y %H:%M:%S") + " (İstanbul)"
    return value


def translated_template(template: str, params: dict[str, Any]) -> str | None:
    """template in the active language with its values, or None when the catalogue lacks it."""
    language = translation.get_language() or "tr"
    if language.startswith("en"):
        return render(template, params, "en")
    translated = gettext(template)
    if translated == template:
        return None
    return render(translated, params, language)


def message_of(exc) -> str:
    """What a client reads for a DomainError: its own sentence with values when it has one in the
    active language, else the catalogue's rule (localize)."""
    own = exc.localized_message() if hasattr(exc, "localized_message") else None
    return own if own is not None else localize(exc.code, exc.message)
