"""The client IP of the request being served, for audit entries written deep in services."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_client_ip: ContextVar[str] = ContextVar("spark_client_ip", default="")


@contextlib.contextmanager
def bind_client_ip(ip: str) -> Iterator[None]:
    """Make ip the client IP of audit entries recorded inside the block."""
    token = _client_ip.set(ip)
    try:
        yield
    finally:
        _client_ip.reset(token)


def current_client_ip() -> str:
    """Return the bound client IP, or '' outside a request."""
    return _client_ip.get()
