"""The one NinjaAPI: routers of every app, auth defaults, and the single error shape."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from accounts.api import router as accounts_router
from audit.services import record
from canary.api import router as canary_router
from copilot.api import router as copilot_router
from futures.api import router as futures_router
from futures.streams_api import router as streams_router
from history.api import router as history_router
from notifications.api import router as notifications_router
from portfolio.api import router as portfolio_router
from risk.api import router as risk_router
from spark_site import __version__
from spark_site.degraded import REDIS_UNAVAILABLE, degraded_response, is_redis_down
from spark_site.error_messages import message_of
from spark_site.errors import DomainError, error_response
from spark_site.health import router as health_router
from spark_site.money import json_loads
from strategies.api import router as strategies_router

logger = logging.getLogger(__name__)


class ExactJsonParser(Parser):
    """Bodies parsed keeping each JSON number's text, so a decimal never passes through float."""

    def parse_body(self, request):
        return json_loads(request.body)


api = NinjaAPI(
    title="Spark API",
    version=__version__,
    description=(
        "Binance USD-M Futures behind a risk gate. Orders are dry-run unless `dryRun` is the "
        "JSON boolean `false`; flags take only `true`/`false`; decimals are strings (or JSON "
        "numbers, read from their text), bounded to fit their columns. "
        "Mutating calls need `Authorization: Bearer <token>` or a session with CSRF. Every "
        'error is `{"error": {"code", "message", "details"}}`.'
    ),
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
    urls_namespace="api",
    parser=ExactJsonParser(),
)


def _field_path(loc) -> str:
    # ninja locations look like ("body", "payload", "quantity"): keep what names the field.
    # A list item is named by its index: ("orders", 2, "quantity") -> "orders[2].quantity".
    path = ""
    for part in loc:
        if part in ("body", "payload", "query", "path"):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or ".".join(str(p) for p in loc)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    fields = []
    for err in exc.errors:
        fields.append(
            {"field": _field_path(err.get("loc", ())), "message": err.get("msg", "invalid")}
        )
    names = ", ".join(f["field"] for f in fields) or "body"
    message = _("Invalid request: check %(fields)s.") % {"fields": names}
    return error_response(422, "VALIDATION_ERROR", message, {"fields": fields}, localized=True)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    text = message_of(exc)  # in the request's language, with its values
    return error_response(exc.status, exc.code, text, exc.details, localized=True)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # An anonymous attempt to change something is a refusal worth tracing.

        record(
            actor=None,
            action="auth.required",
            target=f"{request.method} {request.path}"[:200],
            outcome="denied",
        )
    return error_response(
        401,
        "NOT_AUTHENTICATED",
        "Authentication is required: send 'Authorization: Bearer <token>' or log in.",
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400 and "Cannot parse request body" in str(exc):
        return error_response(
            422,
            "VALIDATION_ERROR",
            "Invalid request: the body is not valid JSON.",
            {"fields": [{"field": "body", "message": "malformed JSON"}]},
        )
    if exc.status_code == 403 and "CSRF" in str(exc):
        return error_response(403, "CSRF_FAILED", "CSRF token missing or invalid for a session.")
    return error_response(exc.status_code, "HTTP_ERROR", str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return error_response(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")


for _redis_error in REDIS_UNAVAILABLE:
    api.add_exception_handler(_redis_error, degraded_response)


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    if is_redis_down(exc):  # wrapped by a library (the channel layer, the cache)
        return degraded_response(request, exc)
    logger.exception("unhandled API error on %s", request.path)
    return error_response(500, "INTERNAL_ERROR", "Internal error. The incident is logged.")


def _register_routers() -> None:
    api.add_router("/", health_router)
    # risk is mounted under /futures/risk/ (the seed's paths) before the futures router.
    api.add_router("/futures/risk/", risk_router)
    api.add_router("/futures/", futures_router)
    api.add_router("/futures/", streams_router)
    api.add_router("/canary/", canary_router)
    api.add_router("/ai/", copilot_router)
    api.add_router("/", portfolio_router)
    api.add_router("/api/", accounts_router)
    api.add_router("/strategies/", strategies_router)
    api.add_router("/notifications/", notifications_router)
    api.add_router("/api/history/", history_router)


_register_routers()
