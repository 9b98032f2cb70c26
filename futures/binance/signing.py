"""Binance request signing (HMAC-SHA256 or Ed25519), shared by the futures and spot connectors.

An API secret is an HMAC secret, or an Ed25519 private key in PEM form ("-----BEGIN PRIVATE
KEY-----..."; `\\n` escapes accepted, as environment variables hold one line). RSA keys are not
supported.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from decimal import Decimal
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

PEM_PREFIX = "-----BEGIN"


def sign(secret: str, payload: str) -> str:
    """Return the hex HMAC-SHA256 of payload (query string + body, exactly as sent)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def is_ed25519_secret(secret: str) -> bool:
    """True when the secret is a PEM private key (Binance's Ed25519 key pairs), not HMAC."""
    return secret.lstrip().startswith(PEM_PREFIX)


@functools.lru_cache(maxsize=8)
def _ed25519_key(pem: str) -> Ed25519PrivateKey:
    key = load_pem_private_key(pem.strip().replace("\\n", "\n").encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        # The message names the kind only: the key itself never goes into an error.
        raise ValueError(f"API private key is {type(key).__name__}; only Ed25519 is supported")
    return key


def sign_ed25519(pem: str, payload: str) -> str:
    """Return the base64 Ed25519 signature of payload (Binance's key-pair signing)."""
    return base64.b64encode(_ed25519_key(pem).sign(payload.encode())).decode()


def signature(secret: str, payload: str) -> str:
    """The signature of payload with this secret: hex HMAC, or base64 Ed25519 for a PEM key."""
    if is_ed25519_secret(secret):
        return sign_ed25519(secret, payload)
    return sign(secret, payload)


def signed_query(secret: str, params: dict[str, object]) -> str:
    """Encode params once, sign that exact string and append the signature last."""
    query = encode(params)
    sig = signature(secret, query)
    # A base64 signature holds + / =: url-encoded, or the server reads another value.
    return f"{query}&signature={quote(sig, safe='')}"


def ws_payload(params: dict[str, str]) -> str:
    """What the WebSocket API signs: every parameter, sorted by name, joined as k=v&k=v."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params))


def plain(value: object) -> str:
    """A parameter value as Binance expects it: "0.001" (never "1E-3"), "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def encode(params: dict[str, object]) -> str:
    """URL-encode params the way signed_query does (None dropped, Decimals plain), unsigned."""
    return urlencode([(k, plain(v)) for k, v in params.items() if v is not None])
