"""Request signing exactly as Binance (HMAC-SHA256 hex of query string + body) and BTCTurk."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl

from aiohttp import web

from simexchange.errors import BinanceError, malformed, mandatory

API_KEY_RE = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
MAX_RECV_WINDOW = 60_000


def sign(secret: str, payload: str) -> str:
    """Binance signature: hex HMAC-SHA256 of the exact sent string, keyed by the secret."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def btcturk_sign(public_key: str, stamp: str, secret_b64: str) -> str:
    """BTCTurk signature: base64 HMAC-SHA256 of publicKey+stamp keyed by the decoded secret."""
    key = base64.b64decode(secret_b64)
    digest = hmac.new(key, (public_key + stamp).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _strip_signature(raw: str) -> tuple[str, str | None]:
    """Return raw with its `signature=` component removed, and the signature value."""
    if "signature=" not in raw:
        return raw, None
    kept, sig = [], None
    for part in raw.split("&"):
        if part.startswith("signature="):
            sig = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), sig


class Request:
    """One REST call's parameters: query string and form body merged, the query winning."""

    def __init__(self, raw_query: str, raw_body: str):
        self.raw_query = raw_query
        self.raw_body = raw_body
        self.params: dict[str, str] = {}
        for k, v in parse_qsl(raw_body, keep_blank_values=True):
            self.params[k] = v
        for k, v in parse_qsl(raw_query, keep_blank_values=True):
            self.params[k] = v

    @classmethod
    async def read(cls, request: web.Request) -> Request:
        body = ""
        if request.method in ("POST", "PUT", "DELETE") and request.can_read_body:
            ctype = request.headers.get("Content-Type", "")
            if "json" not in ctype:
                body = await request.text()
        return cls(request.rel_url.raw_query_string, body)

    def signed_payload(self) -> tuple[str, str | None]:
        """The string Binance signs (query + body glued, signature removed) and the signature."""
        q, sig_q = _strip_signature(self.raw_query)
        b, sig_b = _strip_signature(self.raw_body)
        return q + b, sig_q or sig_b


def api_key_of(request: web.Request, keys: dict[str, str]) -> str:
    """Check the X-MBX-APIKEY header: -2014 when absent or malformed, -2015 when unknown."""
    key = request.headers.get("X-MBX-APIKEY", "")
    if not key or not API_KEY_RE.match(key):
        raise BinanceError(-2014, "API-key format invalid.", status=401)
    if key not in keys:
        ip = request.remote or "127.0.0.1"
        raise BinanceError(
            -2015, f"Invalid API-key, IP, or permissions for action, request ip: {ip}", status=401
        )
    return key


def verify_signed(request: web.Request, req: Request, keys: dict[str, str], now_ms: int) -> str:
    """Authenticate a SIGNED call and return its API key; raises Binance's errors otherwise."""
    key = api_key_of(request, keys)
    p = req.params
    ts_raw = p.get("timestamp", "")
    if not ts_raw:
        raise mandatory("timestamp")
    if not ts_raw.isdigit():
        raise malformed("timestamp")
    recv_raw = p.get("recvWindow", "5000") or "5000"
    if not recv_raw.isdigit():
        raise malformed("recvWindow")
    recv = int(recv_raw)
    if recv > MAX_RECV_WINDOW or recv <= 0:
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    payload, sig = req.signed_payload()
    if not sig:
        raise mandatory("signature")
    ts = int(ts_raw)
    if ts >= now_ms + 1000:
        raise BinanceError(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - ts > recv:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
    if not hmac.compare_digest(sign(keys[key], payload), sig.lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    return key
