"""The one application exception family and the one error shape of the API."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from spark_site.error_messages import localize, render, translated_template


class DomainError(Exception):
    """A failure a client can understand; subclassed per app with its status and code."""

    status = 409
    code = "CONFLICT"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        code: str = "",
        params: dict[str, Any] | None = None,
    ):
        """message: the English text, or with params a catalogue template ("%(mark)s").

        A template keeps its values apart, so each language gets its own sentence with the
        values in its own format (spark_site.error_messages.message_of); `message` stays the
        English text for logs, the audit trail and English requests.
        """
        self.template = message if params is not None else None
        self.params = dict(params or {})
        if params is not None:
            message = render(message, self.params, "en")
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code

    def localized_message(self) -> str | None:
        """The message in the active language with its values, or None (the catalogue decides)."""
        if self.template is None:
            return None
        return translated_template(self.template, self.params)


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
