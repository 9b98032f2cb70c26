"""Who am I, and token management for operators."""

from __future__ import annotations

from ninja import Router, Status

from accounts import services
from accounts.auth import READ_AUTH, write_auth
from accounts.schemas import MeOut, TokenIn, TokenOut, TokenRevokeIn, TokenRevokeOut

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, auth=READ_AUTH)
def me(request):
    """The caller's identity, roles and permissions (pages use it to show only usable buttons)."""
    user = request.auth
    if not user.is_authenticated:
        return {"authenticated": False}
    return {
        "authenticated": True,
        "username": user.get_username(),
        "roles": services.roles_of(user),
        "permissions": sorted(user.get_all_permissions()),
    }


@router.post(
    "/tokens",
    response={201: TokenOut},
    auth=write_auth("accounts.manage_tokens", "token.create"),
)
def token_create(request, payload: TokenIn):
    """Issue an API token (operator only); the raw token is in this answer and nowhere else."""
    token, raw = services.token_create(
        actor=request.auth,
        username=payload.username,
        role=payload.role,
        name=payload.name,
        expires_days=payload.expires_days,
    )
    return Status(
        201,
        {
            "token": raw,
            "prefix": token.prefix,
            "username": payload.username,
            "role": payload.role,
            "expires_at": token.expires_at,
        },
    )


@router.post(
    "/tokens/revoke",
    response=TokenRevokeOut,
    auth=write_auth("accounts.manage_tokens", "token.revoke"),
)
def token_revoke(request, payload: TokenRevokeIn):
    """Revoke tokens by their prefix: your own, or of users below your role (operator only)."""
    return {"revoked": services.token_revoke(actor=request.auth, prefix=payload.prefix)}
