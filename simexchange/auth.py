"""Request signing as Binance (hex HMAC-SHA256 or base64 Ed25519 of query + body) and BTCTurk."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, unquote

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key

from simexchange.errors import BinanceError, malformed, mandatory

API_KEY_RE = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
MAX_RECV_WINDOW = 60_000
ED25519_PREFIX = "ed25519:"  # SIM_API_KEYS value `key:ed25519:<base64 public key>`


def sign(secret: str, payload: str) -> str:
    """Binance signature: hex HMAC-SHA256 of the exact sent string, keyed by the secret."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def is_ed25519(secret: str) -> bool:
    return secret.startswith(ED25519_PREFIX)


def _ed25519_key(secret: str) -> Ed25519PublicKey:
    """The public key from its base64 form: raw 32 bytes or the DER body of the PEM file."""
    raw = base64.b64decode(secret[len(ED25519_PREFIX) :])
    if len(raw) == 32:
        return Ed25519PublicKey.from_public_bytes(raw)
    key = load_der_public_key(raw)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def signature_ok(secret: str, payload: str, sig: str) -> bool:
    """HMAC keys: hex HMAC-SHA256. Ed25519 keys: base64 signature (url-encoded on REST)."""
    if not is_ed25519(secret):
        return hmac.compare_digest(sign(secret, payload), sig.lower())
    try:
        _ed25519_key(secret).verify(base64.b64decode(unquote(sig)), payload.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


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
    payload, sig = req.signed_payload()
    check_timing(req.params, sig, now_ms)
    assert sig is not None
    if not signature_ok(keys[key], payload, sig):
        raise bad_signature()
    return key


def bad_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def check_timing(
    p: dict[str, str], sig: str | None, now_ms: int, need_signature: bool = True
) -> None:
    """timestamp / recvWindow / signature presence in Binance's order of checks (REST and WS)."""
    ts_raw = p.get("timestamp", "")
    if not ts_raw:
        raise mandatory("timestamp")
    if not (ts_raw.isascii() and ts_raw.isdigit()):
        raise malformed("timestamp")
    recv_raw = p.get("recvWindow", "5000") or "5000"
    if not (recv_raw.isascii() and recv_raw.isdigit()):
        raise malformed("recvWindow")
    recv = int(recv_raw)
    if recv > MAX_RECV_WINDOW or recv <= 0:
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    if need_signature and not sig:
        raise mandatory("signature")
    ts = int(ts_raw)
    if ts >= now_ms + 1000:
        raise BinanceError(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - ts > recv:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
