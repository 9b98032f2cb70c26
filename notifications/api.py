"""Machine receivers: Alertmanager's webhook (alerts into the outbox) and Telegram's (desk
updates in webhook mode). Each authenticates its sender with a shared secret, never a user."""

from __future__ import annotations

import hmac

from django.conf import settings
from ninja import Router
from ninja.security import APIKeyHeader, HttpBearer

from audit.models import AuditEntry
from audit.services import record
from notifications import desk, services
from notifications.channels.telegram import BotApi
from notifications.schemas import (
    AlertmanagerIn,
    AlertmanagerOut,
    TelegramUpdateIn,
    TelegramWebhookOut,
)
from spark_site.errors import NotAuthenticated

router = Router(tags=["notifications"])


def shared_secret_check(request, *, sent: str | None, expected: str, action: str, who: str):
    """Compare a machine sender's secret in constant time; refuse (audited) when it is off or
    wrong. Returns the sender's name for request.auth."""
    if not expected or not hmac.compare_digest((sent or "").encode(), expected.encode()):
        record(
            actor=None,
            action=action,
            target=request.path,
            payload={"reason": "bad_secret" if expected else "receiver_off"},
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise NotAuthenticated(
            "The %(who)s secret is wrong or not configured.", params={"who": who}
        )
    return who


class AlertmanagerToken(HttpBearer):
    """The shared bearer token of Alertmanager's http_config; off while the setting is empty."""

    def authenticate(self, request, token: str):
        return shared_secret_check(
            request,
            sent=token,
            expected=settings.SPARK_ALERTMANAGER_TOKEN,
            action="notifications.alertmanager",
            who="alertmanager",
        )


class TelegramSecret(APIKeyHeader):
    """Webhook mode: Telegram sends the secret_token given to setWebhook in this header; the
    route is off in long-polling mode (no TELEGRAM_WEBHOOK_URL)."""

    param_name = "X-Telegram-Bot-Api-Secret-Token"

    def authenticate(self, request, key: str | None):
        on = bool(settings.TELEGRAM_WEBHOOK_URL)
        return shared_secret_check(
            request,
            sent=key,
            expected=settings.TELEGRAM_WEBHOOK_SECRET if on else "",
            action="telegram.webhook",
            who="telegram",
        )


@router.post("/telegram/webhook", response=TelegramWebhookOut, auth=TelegramSecret())
def telegram_webhook(request, update: TelegramUpdateIn):
    """One update from Telegram (webhook mode); a retried update is taken once."""
    taken = desk.take_webhook_update(BotApi(), update.model_dump(exclude_none=True))
    return {"ok": True, "duplicate": not taken}


@router.post("/alertmanager", response=AlertmanagerOut, auth=AlertmanagerToken())
def alertmanager(request, payload: AlertmanagerIn):
    """Turn an Alertmanager notification (firing or resolved alerts) into outbox events."""
    return {"accepted": services.alerts_accept(payload.model_dump())}
