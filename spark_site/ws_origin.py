"""The WebSocket Origin check: scheme, host and port, as Django's CSRF check compares them.

Channels' AllowedHostsOriginValidator matches the Origin's host name against ALLOWED_HOSTS and
ignores the port, so a page served by any other port of an allowed host (another app on
127.0.0.1) could open a socket with the user's cookies. A socket is accepted only when its Origin
is the origin of the request itself (Host header, in ALLOWED_HOSTS, same port) or exactly one of
CSRF_TRUSTED_ORIGINS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(scheme: str, host: str, port: int | None) -> tuple[str, str, int] | None:
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower(), port or DEFAULT_PORTS[scheme]


def parse_origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an Origin header, None when it is not a plain http(s) origin."""
    if any(ord(ch) < 33 or ch in "\\@" for ch in value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return _origin_tuple(parts.scheme.lower(), parts.hostname or "", port)


def request_origin(scope: dict) -> tuple[str, str, int] | None:
    """The origin a page of this server would have, from the socket's Host header."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin1")
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    try:
        port_number = int(port) if port else None
    except ValueError:
        return None
    return _origin_tuple(scheme, domain, port_number)


def origin_allowed(scope: dict) -> bool:
    values = [v for k, v in scope.get("headers") or [] if k == b"origin"]
    if len(values) != 1:
        return False
    origin = parse_origin(values[0].decode("latin1"))
    if origin is None:
        return False
    trusted = {parse_origin(o) for o in settings.CSRF_TRUSTED_ORIGINS}
    if origin in trusted:
        return True
    # Behind a TLS-terminating proxy the page's https origin is listed in CSRF_TRUSTED_ORIGINS.
    return origin == request_origin(scope)


class SameOriginValidator:
    """ASGI middleware: refuse (403 at the handshake) a socket from any other origin."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator only guards WebSocket connections")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
