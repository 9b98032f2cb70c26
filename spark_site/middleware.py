"""Request context for the audit log, and JSON (never HTML) errors on API paths."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from audit.context import bind_client_ip
from spark_site.errors import error_response

API_PREFIXES = (
    "/futures/",
    "/canary/",
    "/ai/",
    "/api/",
    "/strategies/",
    "/notifications/",
    "/positions",
    "/health",
    "/metrics",
)
# Page routes that live under an API prefix.
PAGE_PATHS = ("/canary/", "/api/docs")


def is_api_path(path: str) -> bool:
    """True for paths answered by the JSON API (where an HTML error page must never appear)."""
    if path in PAGE_PATHS or path.startswith("/api/docs"):
        return False
    return path.startswith(API_PREFIXES)


def client_ip(request: HttpRequest) -> str:
    """Return the peer address; X-Forwarded-For is not trusted without a known proxy."""
    return request.META.get("REMOTE_ADDR", "") or ""


class RequestContextMiddleware:
    """Bind the client IP for audit entries written while this request runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind_client_ip(client_ip(request)):
            return self.get_response(request)


_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "NOT_AUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    500: "INTERNAL_ERROR",
}
_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "This request is not allowed.",
    404: "No such endpoint.",
    405: "This method is not allowed on this endpoint.",
    413: "The request body is too large.",
    500: "Internal error; nothing was changed. The incident is logged.",
}


class JsonErrorsForApiMiddleware:
    """Turn Django's HTML error pages (404, 405, CSRF 403, 500) into the JSON error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code = _STATUS_CODES.get(status, "ERROR" if status < 500 else "INTERNAL_ERROR")
        message = _MESSAGES.get(status, "The request failed.")
        details = {"path": request.path}
        converted = error_response(status, code, message, details)
        if "Allow" in response:
            converted["Allow"] = response["Allow"]
        return converted


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF failures: JSON on API paths, a plain page elsewhere."""
    if is_api_path(request.path):
        return error_response(
            403, "CSRF_FAILED", "CSRF token missing or invalid for a session request.", {}
        )
    from django.views.csrf import csrf_failure as default

    return default(request, reason)
