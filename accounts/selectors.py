"""Reads of the accounts app that every authenticated request makes."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken, hash_token

# Write a token's last use at most this often: a hot token must not turn reads into writes.
LAST_USED_EVERY = timedelta(seconds=60)

# accounts_apitoken and Django's auth_user (AUTH_USER_MODEL is auth.User); values as parameters.
_TOKEN_OWNER_SQL = (
    "SELECT u.*, t.id AS token_pk,"
    " (t.last_used_at IS NULL OR t.last_used_at < %s) AS token_stale"
    " FROM accounts_apitoken t JOIN auth_user u ON u.id = t.user_id"
    " WHERE t.token_hash = %s AND t.revoked_at IS NULL"
    " AND (t.expires_at IS NULL OR t.expires_at > %s)"
)


def token_owner(raw_token: str):
    """The owner of an unrevoked, unexpired token, or None; read afresh on every call.

    One statement and no cache: a token revoked or expired a moment ago finds nobody. The user
    comes back with `token_pk` and `token_stale` (last use older than LAST_USED_EVERY); whether
    the user is active is the caller's check. Raw SQL because every bearer request runs it and
    the ORM's building of the same query cost three times its execution.
    """
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    rows = get_user_model().objects.raw(
        _TOKEN_OWNER_SQL, [adapt(now - LAST_USED_EVERY), hash_token(raw_token), adapt(now)]
    )
    return next(iter(rows), None)


def token_touch(user) -> None:
    """Note the use of the token token_owner() found (at most once per LAST_USED_EVERY)."""
    if user.token_stale:
        ApiToken.objects.filter(pk=user.token_pk).update(last_used_at=timezone.now())
