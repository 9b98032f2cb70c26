"""Exchange environment presets: the environment follows from the base URL, never from a request."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from urllib3.util import parse_url

SIM, TESTNET, DEMO, LIVE = "sim", "testnet", "demo", "live"

# REST base, WS root, and whether the WS root uses /public, /market and /private routing.
PRESETS: dict[str, tuple[str, str, bool]] = {
    SIM: ("http://127.0.0.1:8765", "ws://127.0.0.1:8765", False),
    TESTNET: ("https://testnet.binancefuture.com", "wss://fstream.binancefuture.com", False),
    DEMO: ("https://demo-fapi.binance.com", "wss://fstream.binancefuture.com", False),
    LIVE: ("https://fapi.binance.com", "wss://fstream.binance.com", True),
}

_TESTNET_HOSTS = {"testnet.binancefuture.com", "demo-fapi.binance.com"}
_LIVE_HOSTS = {"fapi.binance.com"}


@dataclass(frozen=True)
class ExchangeTarget:
    """Where orders go: REST base, WS root and the derived environment name."""

    rest_base: str
    ws_root: str
    routed_ws: bool
    environment: str

    @property
    def is_testnet(self) -> bool:
        """True for the stand-in and Binance's futures testnet / demo trading; never production."""
        return self.environment in (SIM, TESTNET, DEMO)


def _host_of(base_url: str) -> str | None:
    """The host requests would connect to, or None when the URL is ambiguous or malformed.

    requests resolves hosts with urllib3's parser while the rest of Python uses urllib.parse; a URL
    the two read differently (``https://fapi.binance.com\\@127.0.0.1``) could look like loopback
    here and reach production there, so any disagreement, userinfo, backslash, whitespace or
    control character makes the URL unclassifiable (= live).
    """
    if not isinstance(base_url, str) or not base_url:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in base_url):
        return None
    try:
        ours = urlparse(base_url)
        theirs = parse_url(base_url)
        our_host = ours.hostname
        our_port = ours.port
    except ValueError:  # includes urllib3's LocationParseError: unparsable = live
        return None
    if (
        ours.scheme.lower() not in ("http", "https")
        or (theirs.scheme or "").lower() != ours.scheme.lower()
    ):
        return None
    if "@" in ours.netloc or theirs.auth:
        return None
    their_host = (theirs.host or "").lower().strip("[]")
    our_host = (our_host or "").lower()
    if not our_host or our_host != their_host or our_port != theirs.port:
        return None
    return our_host


def _is_loopback(host: str) -> bool:
    """Exact loopback only: localhost, ::1 or a real IPv4 address in 127.0.0.0/8.

    ``127.0.0.1.fapi.binance.com`` is a DNS name, not an address, and is therefore not loopback.
    """
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback


def environment_of(base_url: str) -> str:
    """Classify a REST base URL: loopback = sim, Binance testnet/demo hosts, anything else = live.

    Unknown or unparsable URLs count as live, so a typo or a crafted URL can never make production
    look like a testnet.
    """
    host = _host_of(base_url)
    if host is None:
        return LIVE
    if _is_loopback(host):
        return SIM
    if host in _TESTNET_HOSTS:
        return TESTNET if host.startswith("testnet") else DEMO
    return LIVE


def current_environment() -> str:
    """The environment orders go to, derived from the configured base URL (read at each call,
    so a test's settings override applies)."""
    return environment_of(settings.BINANCE_FUTURES_BASE_URL)
