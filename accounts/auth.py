"""Authentication for the API: Bearer tokens, or a logged-in session with CSRF."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from ninja.security import APIKeyCookie, HttpBearer

from accounts.permissions import require
from accounts.selectors import token_owner, token_touch
from spark_site.errors import NotAuthenticated, PermissionDenied


class BearerToken(HttpBearer):
    """Authorization: Bearer <token>; a revoked, expired or unknown token is a 401.

    Never None for a presented token: a read that fell back to anonymous would let a revoked
    client keep reading while public reads are on, and hide from it that it was cut off.
    """

    def authenticate(self, request, token: str):
        user = token_owner(token)  # read on every request: a revocation counts at once
        if user is None or not user.is_active:
            raise NotAuthenticated(
                "The token is revoked, expired or unknown.", code="TOKEN_INVALID"
            )
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


class _PermissionFirst:
    """Mixin: after authenticating, refuse (403, audited by require) a user without `permission`.

    ninja runs auth before it parses the path, query and body, so a caller without the right
    gets the same 403 whether the body is valid or not and whether the object exists or not.
    """

    def __init__(self, permission: str, action: str, **kwargs):
        super().__init__(**kwargs)
        self.permission = permission
        self.action = action

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            require(user, self.permission, action=self.action, target=request.path[:200])
        return user


class _PermissionBearer(_PermissionFirst, BearerToken):
    pass


class _PermissionSession(_PermissionFirst, Session):
    pass


def write_auth(permission: str, action: str) -> list:
    """WRITE_AUTH that checks `permission` before input validation and object lookup."""
    return [
        _PermissionBearer(permission, action),
        _PermissionSession(permission, action, csrf=True),
    ]


def read_auth(permission: str, action: str) -> list:
    """A token or a session (a read needs no CSRF), refused (403, audited) without `permission`.

    Unlike READ_AUTH it ignores SPARK_PUBLIC_READS: for reads that are never public.
    """
    return [
        _PermissionBearer(permission, action),
        _PermissionSession(permission, action, csrf=False),
    ]
