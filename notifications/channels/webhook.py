"""Signed JSON webhooks (Slack, Discord or anything): HMAC-SHA256 of the body in a header.

The receiver checks `X-Spark-Signature: sha256=<hex>` with the secret shown on the profile page
and drops a repeated `X-Spark-Idempotency-Key`; that is what makes a resend after a crash
harmless here (at-least-once sending, exactly-once effect).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import requests
from django.conf import settings

from notifications.channels import DeliveryError, NotSent, OutcomeUnknown

SIGNATURE_HEADER = "X-Spark-Signature"
IDEMPOTENCY_HEADER = "X-Spark-Idempotency-Key"


def sign(secret: str, body: bytes) -> str:
    """Return the signature header value of body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(*, url: str, secret: str, idempotency_key: str, document: dict) -> str:
    """POST the document; return the HTTP status as the external id."""
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        IDEMPOTENCY_HEADER: idempotency_key,
    }
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=settings.SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS
        )
    except requests.ConnectTimeout:
        raise NotSent("webhook: connection failed") from None
    except requests.ConnectionError:
        raise OutcomeUnknown("webhook: connection lost") from None
    except requests.Timeout:
        raise OutcomeUnknown("webhook: no answer in time") from None
    if response.status_code == 429:
        retry = response.headers.get("Retry-After", "")
        raise DeliveryError("webhook: 429", retry_after=float(retry) if retry.isdigit() else None)
    if response.status_code >= 500:
        raise DeliveryError(f"webhook: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise DeliveryError(f"webhook: HTTP {response.status_code}", permanent=True)
    return str(response.status_code)
