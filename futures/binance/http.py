"""BinanceHttp: one pooled session, HMAC signing, server-time offset, rate-limit back-off.

Endpoint-agnostic: BinanceFutures (fapi) and the portfolio's Spot client (api/v3) subclass it
and only name their paths (`time_path`, `weight_header`, `weight_limit`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from futures.binance.errors import (
    BINANCE_FUTURES,
    BinanceError,
    ClockSkew,
    ExchangeUnavailable,
    RateLimited,
    UnknownExecutionStatus,
    count_error,
    error_for,
)
from futures.binance.signing import encode, signed_query

logger = logging.getLogger(__name__)

# Back-off windows opened by 429/418, per base URL: limits are per IP, so every client object
# talking to the same host must hold back, not only the one that was told off.
_BACKOFF_UNTIL: dict[str, float] = {}
_BACKOFF_LOCK = threading.Lock()


class BinanceHttp:
    """Signed and public calls to one Binance REST base URL."""

    exchange = BINANCE_FUTURES  # the `exchange` label of spark_exchange_api_error_total
    # Paths a host may lack (404 handled by the caller, not counted as an exchange error).
    optional_paths: frozenset[str] = frozenset()
    time_path = "/fapi/v1/time"
    weight_header = "X-MBX-USED-WEIGHT-1M"
    weight_limit = 2400
    # Re-measure the clock offset this often even without a -1021 (clocks drift daily).
    time_resync_seconds = 600.0

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        api_secret: str = "",
        *,
        recv_window: int = 5000,
        timeout: float = 10.0,
        pool_size: int = 8,
    ):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._api_secret = api_secret
        self.recv_window = int(recv_window)
        self.timeout = float(timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json"})
        # requests re-reads proxy and CA settings from the environment on every call (a fifth
        # of a local order's client time); read them once here instead, with the same result.
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        self.session.trust_env = False
        if api_key:
            self.session.headers["X-MBX-APIKEY"] = api_key
        self.time_offset_ms: int | None = None
        self._time_synced_at = 0.0
        self._time_lock = threading.Lock()
        self.used_weight: int | None = None

    def __repr__(self) -> str:  # never the key or the secret
        return f"<{type(self).__name__} {self.base_url}>"

    # ------------------------------------------------------------------------------ clock

    def sync_time(self) -> int:
        """Measure serverTime - local time (ms, half the round trip added) and keep it."""
        t0 = time.time()
        body = self.request("GET", self.time_path)
        t1 = time.time()
        local_mid = int((t0 + t1) * 500)
        offset = int(body["serverTime"]) - local_mid
        with self._time_lock:
            self.time_offset_ms = offset
            self._time_synced_at = time.monotonic()
        return offset

    def timestamp_ms(self) -> int:
        if (
            self.time_offset_ms is None
            or time.monotonic() - self._time_synced_at > self.time_resync_seconds
        ):
            self.sync_time()
        return int(time.time() * 1000) + (self.time_offset_ms or 0)

    # ------------------------------------------------------------------------------ back-off

    def backoff_remaining(self) -> float:
        """Seconds left of a 429/418 back-off opened against this base URL (0 when none)."""
        until = _BACKOFF_UNTIL.get(self.base_url)
        return max(0.0, until - time.monotonic()) if until else 0.0

    def _open_backoff(self, seconds: float) -> None:
        with _BACKOFF_LOCK:
            until = time.monotonic() + seconds
            if until > _BACKOFF_UNTIL.get(self.base_url, 0.0):
                _BACKOFF_UNTIL[self.base_url] = until

    @classmethod
    def clear_backoff(cls, base_url: str | None = None) -> None:
        with _BACKOFF_LOCK:
            if base_url is None:
                _BACKOFF_UNTIL.clear()
            else:
                _BACKOFF_UNTIL.pop(base_url.rstrip("/"), None)

    # ------------------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        signed: bool = False,
    ) -> Any:
        """Send one call and return the decoded JSON; raise a typed BinanceError otherwise.

        Signed calls carry timestamp + recvWindow and the signature last; a -1021 re-syncs the
        clock and is retried once (a retry of a rejected call is safe: it executed nothing).
        Every failure is counted here, whoever called (orders, account, positions, reconcile).
        """
        try:
            try:
                return self._send(method, path, params, signed)
            except ClockSkew:
                if not signed:
                    raise
                logger.warning("binance -1021 on %s %s: re-syncing the clock", method, path)
                self.sync_time()
                return self._send(method, path, params, signed)
        except BinanceError as exc:
            if not (exc.http_status == 404 and path in self.optional_paths):
                count_error(self.exchange, exc)
            raise

    def _send(self, method: str, path: str, params: dict[str, Any] | None, signed: bool) -> Any:
        wait = self.backoff_remaining()
        if wait > 0:
            refused = RateLimited(
                -1003,
                f"Local back-off after a rate-limit answer: {wait:.1f}s left.",
                429,
                retry_after=wait,
            )
            refused.local = True  # never sent: not an exchange error to count
            raise refused
        if signed:
            full = dict(params or {})
            full["recvWindow"] = self.recv_window
            full["timestamp"] = self.timestamp_ms()
            query = signed_query(self._api_secret, full)
        elif params:
            query = encode(params)
        else:
            query = ""
        url = f"{self.base_url}{path}?{query}" if query else f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout)
        except requests.Timeout:
            # The URL (with its signature) stays out of the message on purpose.
            raise UnknownExecutionStatus(-1007, f"Timeout calling {method} {path}.", 0) from None
        except requests.RequestException as exc:
            raise ExchangeUnavailable(
                -1001, f"Network error calling {method} {path}: {type(exc).__name__}.", 0
            ) from None
        self._track_weight(response)
        return self._decode(response, method, path)

    def _track_weight(self, response: requests.Response) -> None:
        used = response.headers.get(self.weight_header)
        if used is None:
            return
        try:
            self.used_weight = int(used)
        except ValueError:
            return
        self._on_weight(self.weight_limit - self.used_weight)

    def _on_weight(self, remaining: int) -> None:
        """Hook for the exported gauge (the futures client sets spark_futures_rate_limit...)."""

    def _decode(self, response: requests.Response, method: str, path: str) -> Any:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if status < 400 and not (isinstance(body, dict) and _is_error_body(body)):
            return body
        code = int(body.get("code", 0)) if isinstance(body, dict) else 0
        msg = str(body.get("msg", "")) if isinstance(body, dict) else ""
        msg = msg or f"HTTP {status} from {method} {path}"
        retry_after = _retry_after(response.headers.get("Retry-After"))
        exc: BinanceError = error_for(code, msg[:300], status, retry_after)
        if isinstance(exc, RateLimited):
            self._open_backoff(exc.retry_after)
            logger.warning(
                "binance %s on %s %s: backing off %.1fs", status, method, path, exc.retry_after
            )
        raise exc


def _is_error_body(body: dict) -> bool:
    code = body.get("code")
    return isinstance(code, int) and code < 0


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
