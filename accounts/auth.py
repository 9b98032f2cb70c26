"""Authentication for the API: Bearer tokens, or a logged-in session with CSRF."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from ninja.security import APIKeyCookie, HttpBearer

from accounts.selectors import token_owner, token_touch
from spark_site.errors import PermissionDenied


class BearerToken(HttpBearer):
    """Authorization: Bearer <token>; revoked, expired or unknown tokens authenticate nobody."""

    def authenticate(self, request, token: str):
        user = token_owner(token)  # read on every request: a revocation counts at once
        if user is None or not user.is_active:
            return None
        token_touch(user)
        request.user = user
        return user


class Session(APIKeyCookie):
    """A logged-in Django session; with csrf=True, a POST must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # Without a logged-in session there is nothing for CSRF to protect: the caller is
        # anonymous and gets 401 (ninja would check CSRF first and answer 403 CSRF_FAILED).
        if _session_user(request) is None:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        return _session_user(request)


class ReadAccess(HttpBearer):
    """Reads: a token or a session (no CSRF needed for a GET); anonymous while reads are public.

    With SPARK_PUBLIC_READS off, the caller must hold at least the viewer role.
    """

    def __call__(self, request):
        user = _bearer(request) or _session_user(request)
        if settings.SPARK_PUBLIC_READS:
            return user or AnonymousUser()
        if user is None:
            return None
        if not user.has_perm("accounts.view_platform"):
            raise PermissionDenied(
                "Reading needs at least the viewer role.",
                details={"permission": "accounts.view_platform"},
            )
        return user

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None


_BEARER = BearerToken()


def _bearer(request):
    return _BEARER(request)


def _session_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated and user.is_active else None


# Mutating endpoints: a token, or a session with CSRF.
WRITE_AUTH = [BearerToken(), Session(csrf=True)]
READ_AUTH = [ReadAccess()]
