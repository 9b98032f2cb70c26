"""BTCTurk's auth headers: base64(HMAC-SHA256(b64decode(secret), publicKey + stamp))."""

from __future__ import annotations

import base64
import hashlib
import hmac

from portfolio.connectors.btcturk import auth_headers, signature

PUBLIC = "my-public-key"
SECRET = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
STAMP = 1700000000000
EXPECTED = "laPVo2rfVeZja1bYGaZhYIQyMds8vR2YWsQdJ1F214U="


def test_it_matches_the_worked_example():
    assert signature(PUBLIC, STAMP, SECRET) == EXPECTED


def test_the_worked_example_holds_when_computed_independently():
    # the recipe written out again here, so a wrong recipe in both places cannot agree by accident
    key = b"0123456789abcdef0123456789abcdef"
    assert base64.b64decode(SECRET) == key
    mac = hmac.new(key, b"my-public-key1700000000000", hashlib.sha256).digest()
    assert base64.b64encode(mac).decode() == EXPECTED


def test_it_sends_the_key_the_stamp_and_the_signature_as_headers():
    headers = auth_headers(PUBLIC, SECRET, stamp_ms=STAMP)
    assert headers["X-PCK"] == PUBLIC
    assert headers["X-Stamp"] == "1700000000000"
    assert headers["X-Signature"] == EXPECTED


def test_a_different_stamp_gives_a_different_signature():
    assert signature(PUBLIC, STAMP + 1, SECRET) != EXPECTED
