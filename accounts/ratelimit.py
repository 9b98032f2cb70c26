"""A fixed-window login throttle in the shared cache (works across server processes on Redis)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _key(ip: str, window: int) -> str:
    return f"login-attempts:{ip}:{window}"


def login_blocked(ip: str) -> bool:
    """True once this IP made too many login attempts in the current minute."""
    window = int(time.time() // 60)
    return cache.get(_key(ip, window), 0) >= settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE


def note_login_attempt(ip: str) -> None:
    """Count one attempt for this IP in the current minute."""
    key = _key(ip, int(time.time() // 60))
    if cache.add(key, 1, timeout=120):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
