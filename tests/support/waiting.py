"""Wait for what another process or task brings about: poll a condition, never sleep blind."""

from __future__ import annotations

import asyncio
import inspect
import time


def poll(check, seconds: float = 20.0, step: float = 0.1, what: str = "condition"):
    """Call check until it returns something truthy and return that; fail naming what and the
    last value once seconds have passed."""
    deadline = time.monotonic() + seconds
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {seconds}s; last: {last!r}")
        time.sleep(step)


async def apoll(check, seconds: float = 10.0, step: float = 0.02, what: str = "condition"):
    """poll() for async tests: check may be a plain or an async function, and the event loop
    keeps running between tries (the streams under test live on it)."""
    deadline = time.monotonic() + seconds
    while True:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met in {seconds}s; last: {last!r}")
        await asyncio.sleep(step)
