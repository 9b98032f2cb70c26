"""Typed exchange errors: every Binance failure becomes one of these (never a secret inside)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_noop

from futures import metrics
from spark_site.error_messages import translated_template
from spark_site.errors import DomainError, ValidationFailed


class BinanceError(DomainError):
    """An answer of the exchange that is not success: Binance code, message and HTTP status."""

    status = 502
    code = "EXCHANGE_ERROR"

    def __init__(self, code: int, msg: str, http_status: int = 0, **details: Any):
        self.binance_code = int(code)
        self.binance_msg = msg
        self.http_status = http_status
        super().__init__(
            f"Exchange error {code}: {msg}",
            details={"exchangeCode": int(code), "httpStatus": http_status, **details},
        )

    @property
    def reason(self) -> str:
        """Bounded metric label: exchange_<code>."""
        return f"exchange_{abs(self.binance_code)}" if self.binance_code else "exchange_http"

    # The sentence of this kind of failure with the exchange's code, in the request's language
    # (the English message keeps the exchange's or the connector's own words); None: the
    # code's sentence says it all.
    LOCALIZED: str | None = gettext_noop(
        "The exchange answered with error %(code)s (HTTP %(http)s); nothing was changed."
    )

    def localized_params(self) -> dict[str, Any]:
        return {"code": self.binance_code, "http": self.http_status}

    def localized_message(self) -> str | None:
        """English: the message as it always was ("Exchange error -1001: …"). Other languages:
        LOCALIZED with the code, never the English text of the exchange or the connector."""
        if (translation.get_language() or "tr").startswith("en") or self.LOCALIZED is None:
            return None
        return translated_template(self.LOCALIZED, self.localized_params())


class ExchangeRejected(BinanceError):
    """A 4xx answer: the exchange understood and refused the request."""

    status = 422
    code = "EXCHANGE_REJECTED"

    def localized_message(self) -> str | None:
        """The refusal with the exchange's code in the active language; the exchange's own
        words (Binance writes English only) are quoted, not hidden behind a generic sentence."""
        if (translation.get_language() or "tr").startswith("en"):
            return None  # the English message as it always was: "Exchange error -4049: …"
        return translated_template(
            REJECTED_BY_EXCHANGE, {"code": self.binance_code, "text": self.binance_msg}
        )


# Binance's code and its own (English) text, quoted.
REJECTED_BY_EXCHANGE = gettext_noop("The exchange refused the request (code %(code)s): %(text)s")


class NoSuchOrder(ExchangeRejected):
    """-2013 / -2011: the exchange does not know this order."""

    code = "EXCHANGE_NO_SUCH_ORDER"


class AuthenticationFailed(BinanceError):
    """-1022 / -2014 / -2015 / -2008: key, signature or permissions refused."""

    status = 502
    code = "EXCHANGE_AUTH_FAILED"
    LOCALIZED = gettext_noop("The exchange refused the API key or its signature (code %(code)s).")


class ClockSkew(BinanceError):
    """-1021: our timestamp is outside the recvWindow even after re-syncing the clock."""

    status = 503
    code = "EXCHANGE_CLOCK_SKEW"
    LOCALIZED = None


class RateLimited(BinanceError):
    """429 / 418 (or a local back-off still open): nothing is sent until retry_after passes."""

    status = 503
    code = "EXCHANGE_RATE_LIMITED"

    def __init__(self, code: int, msg: str, http_status: int = 429, *, retry_after: float = 1.0):
        self.retry_after = float(retry_after)
        super().__init__(code, msg, http_status, retryAfterSeconds=round(self.retry_after, 3))

    LOCALIZED = gettext_noop(
        "The exchange's rate limit was hit; try again in %(seconds)s seconds (nothing was sent)."
    )

    def localized_params(self) -> dict[str, Any]:
        return {"seconds": Decimal(str(round(self.retry_after, 3))).normalize()}


class ExchangeUnavailable(BinanceError):
    """5xx or a network failure: a definite failure of a request that changes nothing."""

    status = 503
    code = "EXCHANGE_UNAVAILABLE"
    LOCALIZED = gettext_noop(
        "The exchange cannot be reached or is not answering (code %(code)s); nothing was changed."
    )


class UnknownExecutionStatus(ExchangeUnavailable):
    """Timeout, 5xx, -1000 or -1007 on a request that may have executed (an order placement)."""

    code = "EXCHANGE_STATUS_UNKNOWN"
    LOCALIZED = gettext_noop(
        "The exchange did not say whether the order was taken (code %(code)s); it is being "
        "reconciled."
    )


class ExchangeFilterError(ValidationFailed):
    """Pre-flight rejection by an exchange filter (LOT_SIZE, PRICE_FILTER, MIN_NOTIONAL...)."""

    code = "FILTER_REJECTED"

    def __init__(
        self, filter_name: str, message: str, *, limit: Any, value: Any, params: dict | None = None
    ):
        self.filter_name = filter_name
        super().__init__(
            message,
            params=params,
            details={"filter": filter_name, "limit": str(limit), "value": str(value)},
        )

    @property
    def reason(self) -> str:
        return f"filter_{self.filter_name.lower()}"


AUTH_CODES = frozenset({-1022, -2014, -2015, -2008})
NO_SUCH_ORDER_CODES = frozenset({-2013, -2011})
UNKNOWN_STATUS_CODES = frozenset({-1000, -1007, -1001, -1006})


def error_for(code: int, msg: str, http_status: int, retry_after: float | None = None):
    """The typed exception for one Binance error answer."""
    if http_status in (418, 429) or code == -1003:
        default = 60.0 if http_status == 418 else 1.0
        return RateLimited(code, msg, http_status, retry_after=retry_after or default)
    if code == -1021:
        return ClockSkew(code, msg, http_status)
    if code in AUTH_CODES or http_status in (401,):
        return AuthenticationFailed(code, msg, http_status)
    if code in NO_SUCH_ORDER_CODES:
        return NoSuchOrder(code, msg, http_status)
    if http_status >= 500 or code in UNKNOWN_STATUS_CODES:
        return UnknownExecutionStatus(code, msg, http_status)
    return ExchangeRejected(code, msg, http_status)


BINANCE_FUTURES = "binance_futures"


def metric_code(exc: BinanceError) -> str:
    """The bounded `code` label of an exchange error: a word, the exchange code or HTTP status."""
    if exc.http_status == 0:  # nothing came back: the HTTP layer's -1001 / -1007
        return "TIMEOUT" if exc.binance_code == -1007 else "CONNECTION"
    if exc.binance_code:
        return str(exc.binance_code)
    return str(exc.http_status)


def count_error(exchange: str, exc: BinanceError | None = None, *, code: str = "") -> None:
    """Count one failed exchange call in spark_exchange_api_error_total, once per error.

    The one place every path counts (REST, listen keys, the WebSocket API); the error is marked
    so a caller further up (the portfolio) does not count it again.
    """
    if exc is not None:
        if getattr(exc, "counted", False) or getattr(exc, "local", False):
            return
        exc.counted = True
        code = metric_code(exc)
    metrics.EXCHANGE_API_ERRORS.labels(exchange=exchange, code=code or "UNKNOWN").inc()


class UnknownSymbol(ValidationFailed):
    """A symbol the exchange does not list (422 naming the field)."""

    code = "UNKNOWN_SYMBOL"
