"""A log filter that blanks configured secrets, so an exception message can never leak a key."""

from __future__ import annotations

import logging


def secret_values() -> list[str]:
    """Return every configured secret value worth redacting (longer than 3 characters)."""
    from django.conf import settings

    names = (
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
        "BINANCE_SPOT_API_KEY",
        "BINANCE_SPOT_API_SECRET",
        "BTCTURK_API_KEY",
        "BTCTURK_API_SECRET",
        "SECRET_KEY",
        "TELEGRAM_BOT_TOKEN",
        "SPARK_ALERTMANAGER_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
    )
    values = [str(getattr(settings, name, "") or "") for name in names]
    return [value for value in values if len(value) > 3]


def redact(text: str) -> str:
    """Replace every configured secret in text with '***'."""
    for value in secret_values():
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactSecrets(logging.Filter):
    """Rewrite the record's message with secrets blanked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not hide the record
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if redact(str(exc)) != str(exc):
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True
