"""Binance HMAC-SHA256 request signing, shared by the futures and spot connectors."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from urllib.parse import urlencode


def sign(secret: str, payload: str) -> str:
    """Return the hex HMAC-SHA256 of payload (query string + body, exactly as sent)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed_query(secret: str, params: dict[str, object]) -> str:
    """Encode params once, sign that exact string and append the signature last."""
    query = urlencode([(k, _plain(v)) for k, v in params.items() if v is not None])
    return f"{query}&signature={sign(secret, query)}"


def _plain(value: object) -> str:
    # Decimals and bools as Binance expects them: "0.001" (never "1E-3"), "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def encode(params: dict[str, object]) -> str:
    """URL-encode params the way signed_query does (None dropped, Decimals plain), unsigned."""
    return urlencode([(k, _plain(v)) for k, v in params.items() if v is not None])
