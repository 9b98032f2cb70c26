"""record(): the one way to write the audit log, with secrets removed from the payload."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from audit.context import current_client_ip
from audit.models import AuditEntry
from spark_site.logging_filters import redact

logger = logging.getLogger(__name__)

_SECRET_WORDS = ("secret", "password", "token", "signature", "apikey", "api_key", "listenkey")


def _is_secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return any(word in lowered.replace("_", "") or word in lowered for word in _SECRET_WORDS)


def scrub(value: Any) -> Any:
    """Return a JSON-safe copy of value with secret-looking keys and configured secrets blanked."""
    if isinstance(value, dict):
        return {str(k): ("***" if _is_secret_key(str(k)) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def record(
    *,
    actor,
    action: str,
    target: str = "",
    payload: dict[str, Any] | None = None,
    outcome: str = AuditEntry.Outcome.OK,
) -> AuditEntry:
    """Write one audit entry; actor is a User, None, or a name such as 'system'."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is not None:
        name = user.get_username()
    elif isinstance(actor, str):
        name = actor
    else:
        name = "anonymous"
    entry = AuditEntry.objects.create(
        actor=user,
        actor_name=name,
        action=action,
        target=str(target)[:200],
        payload=scrub(payload or {}),
        client_ip=current_client_ip(),
        outcome=outcome,
    )
    logger.info("audit %s %s %s %s", name, action, target, outcome)
    return entry
