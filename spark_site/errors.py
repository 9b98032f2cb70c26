"""The one application exception family and the one error shape of the API."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from spark_site.error_messages import localize


class DomainError(Exception):
    """A failure a client can understand; subclassed per app with its status and code."""

    status = 409
    code = "CONFLICT"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class BadRequest(DomainError):
    status = 400
    code = "BAD_REQUEST"


class NotAuthenticated(DomainError):
    status = 401
    code = "NOT_AUTHENTICATED"


class PermissionDenied(DomainError):
    status = 403
    code = "PERMISSION_DENIED"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class ValidationFailed(DomainError):
    status = 422
    code = "VALIDATION_ERROR"


class ServiceUnavailable(DomainError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


def error_body(
    code: str, message: str, details: dict[str, Any] | None = None, *, localized: bool = False
) -> dict[str, Any]:
    """Return the error document every API failure uses, its message in the request's language.

    localized=True: message was built with gettext already (it carries values, e.g. field names).
    """
    text = message if localized else localize(code, message)
    return {"error": {"code": code, "message": text, "details": details or {}}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    *,
    localized: bool = False,
) -> JsonResponse:
    """Return the error document as a JsonResponse with the given status."""
    return JsonResponse(error_body(code, message, details, localized=localized), status=status)
