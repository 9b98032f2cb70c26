"""A login throttle in the shared cache (works across server processes on Redis).

Attempts are counted per IP in one-minute buckets with atomic increments; an IP is blocked when
the current and the previous bucket together reach the limit. A plain fixed window would let a
burst straddling the minute boundary make twice the limit; this way no 60 s span allows more
than the limit, and a block lifts within two minutes at most.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _minute() -> int:
    return int(time.time() // 60)


def _key(ip: str, window: int) -> str:
    return f"login-attempts:{ip}:{window}"


def login_blocked(ip: str) -> bool:
    """True once this IP made the limit of attempts in this minute and the one before."""
    window = _minute()
    counts = cache.get_many([_key(ip, window), _key(ip, window - 1)])
    return sum(counts.values()) >= settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE


def note_login_attempt(ip: str) -> None:
    """Count one attempt for this IP in the current minute."""
    key = _key(ip, _minute())
    if cache.add(key, 1, timeout=120):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
