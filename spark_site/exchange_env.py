"""Exchange environment presets: the environment follows from the base URL, never from a request."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

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


def environment_of(base_url: str) -> str:
    """Classify a REST base URL: loopback = sim, Binance testnet/demo hosts, anything else = live.

    Unknown hosts count as live, so a typo can never make production look like a testnet.
    """
    host = (urlparse(base_url).hostname or "").lower()
    if host in {"127.0.0.1", "localhost", "::1"} or host.startswith("127."):
        return SIM
    if host in _TESTNET_HOSTS:
        return TESTNET if host.startswith("testnet") else DEMO
    return LIVE
