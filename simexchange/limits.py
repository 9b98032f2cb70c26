"""Binance's request-weight and order-count limits (fixed one-minute windows, per IP)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from simexchange.errors import BinanceError

BAN_SECONDS = 120  # Binance's first ban step is two minutes


@dataclass
class _Window:
    minute: int = 0
    used: int = 0
    warned_until: float = 0.0  # a 429 was answered; more calls before this earn a 418
    banned_until: float = 0.0


@dataclass
class RateLimiter:
    """Weight per (IP, API family): 429 over the limit, 418 for calling on after a 429."""

    limit: int
    windows: dict[tuple[str, str], _Window] = field(default_factory=dict)

    def charge(self, ip: str, family: str, weight: int, server_ms: int) -> int:
        now = time.monotonic()
        w = self.windows.setdefault((ip, family), _Window())
        minute = server_ms // 60_000
        if w.minute != minute:
            w.minute, w.used = minute, 0
        if now < w.banned_until:
            raise self._ban(ip, w, server_ms, now)
        if now < w.warned_until:
            w.banned_until = now + BAN_SECONDS
            raise self._ban(ip, w, server_ms, now)
        w.used += weight
        if w.used > self.limit:
            retry = max(1, 60 - (server_ms // 1000) % 60)
            w.warned_until = now + retry
            raise BinanceError(
                -1003,
                f"Too many requests; current limit of IP({ip}) is {self.limit} requests per "
                "minute. Please use the websocket for live updates to avoid polling the API.",
                status=429,
                headers={"Retry-After": str(retry)},
            )
        return w.used

    @staticmethod
    def _ban(ip: str, w: _Window, server_ms: int, now: float) -> BinanceError:
        retry = max(1, int(w.banned_until - now))
        until = server_ms + retry * 1000
        return BinanceError(
            -1003,
            f"Way too many requests; IP({ip}) banned until {until}. Please use the websocket "
            "for live updates to avoid bans.",
            status=418,
            headers={"Retry-After": str(retry)},
        )

    def used(self, ip: str, family: str, server_ms: int) -> int:
        w = self.windows.get((ip, family))
        return w.used if w and w.minute == server_ms // 60_000 else 0

    def reset(self) -> None:
        self.windows.clear()


def order_counts(times: deque, server_ms: int) -> tuple[int, int]:
    """Orders in the last 10 s and 1 min; trims the deque as it goes."""
    while times and times[0] <= server_ms - 60_000:
        times.popleft()
    ten = sum(1 for t in times if t > server_ms - 10_000)
    return ten, len(times)
