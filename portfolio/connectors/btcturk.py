"""BTCTurk: HMAC-signed balances and public tickers, valued in USD through USDT or TRY pairs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from decimal import Decimal, InvalidOperation

import requests
from django.utils import timezone

from portfolio.connectors.base import (
    BTCTURK,
    Holding,
    SourceError,
    SourceFetch,
    both,
    parse_json,
    to_decimal,
)


def signature(public_key: str, stamp: str | int, secret_b64: str) -> str:
    """Return X-Signature: base64(HMAC-SHA256(key=b64decode(secret), msg=publicKey + stamp))."""
    key = base64.b64decode(secret_b64)
    digest = hmac.new(key, f"{public_key}{stamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def auth_headers(public_key: str, secret_b64: str, stamp_ms: int | None = None) -> dict[str, str]:
    """The three auth headers of a private BTCTurk call (stamp = now in UTC milliseconds)."""
    stamp = str(stamp_ms if stamp_ms is not None else int(time.time() * 1000))
    return {
        "X-PCK": public_key,
        "X-Stamp": stamp,
        "X-Signature": signature(public_key, stamp, secret_b64),
        "Content-Type": "application/json",
    }


def usd_prices(tickers: list[dict]) -> dict[str, Decimal]:
    """USD price per asset from BTCTurk tickers: USDT at 1, X via XUSDT, else XTRY / USDTTRY."""
    last: dict[tuple[str, str], Decimal] = {}
    for t in tickers:
        try:
            price = to_decimal(t["last"])
        except (KeyError, InvalidOperation, ValueError):
            continue
        if price > 0:
            last[(str(t["numeratorSymbol"]).upper(), str(t["denominatorSymbol"]).upper())] = price
    prices = {"USDT": Decimal(1)}
    usdttry = last.get(("USDT", "TRY"))
    if usdttry:
        prices["TRY"] = Decimal(1) / usdttry
    for (num, den), price in last.items():
        if den == "USDT" and num != "USDT":
            prices[num] = price
    for (num, den), price in last.items():
        if den == "TRY" and num not in prices and usdttry:
            prices[num] = price / usdttry
    return prices


class BTCTurkClient:
    """A pooled session for BTCTurk's REST API (its own auth scheme, not Binance's)."""

    exchange = BTCTURK

    def __init__(self, base_url: str, public_key: str, secret_b64: str, *, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.public_key = public_key
        self.secret_b64 = secret_b64
        self.timeout = timeout
        self.session = requests.Session()

    def _get(self, path: str, *, signed: bool = False, params: dict | None = None) -> object:
        headers = auth_headers(self.public_key, self.secret_b64) if signed else {}
        try:
            r = self.session.get(
                self.base_url + path, params=params, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise SourceError(BTCTURK, "TIMEOUT", f"GET {path} timed out") from exc
        except requests.ConnectionError as exc:
            raise SourceError(BTCTURK, "CONNECTION", f"GET {path}: cannot connect") from exc
        try:
            body = parse_json(r.text)
        except ValueError:
            body = None
        if r.status_code != 200 or not isinstance(body, dict) or body.get("success") is False:
            message = body.get("message") if isinstance(body, dict) else None
            raise SourceError(BTCTURK, str(r.status_code), message or r.reason or "bad answer")
        return body.get("data")

    def balances(self) -> list[Holding]:
        """Every non-zero balance (GET /api/v1/users/balances, signed)."""
        out = []
        for row in self._get("/api/v1/users/balances", signed=True) or []:
            try:
                qty = to_decimal(row["balance"])
                free = to_decimal(row.get("free", row["balance"]))
                locked = to_decimal(row.get("locked", 0))
            except (KeyError, InvalidOperation, ValueError) as exc:
                raise SourceError(BTCTURK, "BAD_PAYLOAD", f"balance row {row!r}") from exc
            if qty:
                out.append(Holding(str(row["asset"]).upper(), qty, free, locked))
        return out

    def tickers(self) -> list[dict]:
        """Every pair's ticker (GET /api/v2/ticker, public)."""
        return list(self._get("/api/v2/ticker") or [])

    def ticker(self, pair: str) -> list[dict]:
        """One pair's ticker (GET /api/v2/ticker?pairSymbol=..., public)."""
        return list(self._get("/api/v2/ticker", params={"pairSymbol": pair}) or [])

    def fetch(self) -> SourceFetch:
        """Balances and USD prices, read now."""
        holdings, tickers = both(self.balances, self.tickers)
        return SourceFetch(BTCTURK, holdings, usd_prices(tickers), timezone.now())
