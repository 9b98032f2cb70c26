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


class AlertmanagerToken(HttpBearer):
    """The shared bearer token of Alertmanager's http_config; off while the setting is empty."""

    def authenticate(self, request, token: str):
        expected = settings.SPARK_ALERTMANAGER_TOKEN
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            record(
                actor=None,
                action="notifications.alertmanager",
                target=request.path,
                payload={"reason": "bad_token" if expected else "receiver_off"},
                outcome=AuditEntry.Outcome.DENIED,
            )
            raise NotAuthenticated("The Alertmanager token is wrong or not configured.")
        return "alertmanager"


class TelegramSecret(APIKeyHeader):
    """Webhook mode: Telegram sends the secret_token given to setWebhook in this header."""

    param_name = "X-Telegram-Bot-Api-Secret-Token"

    def authenticate(self, request, key: str | None):
        expected = settings.TELEGRAM_WEBHOOK_SECRET
        if not (settings.TELEGRAM_WEBHOOK_URL and expected) or not hmac.compare_digest(
            (key or "").encode(), expected.encode()
        ):
            record(
                actor=None,
                action="telegram.webhook",
                target=request.path,
                payload={"reason": "bad_secret" if expected else "webhook_off"},
                outcome=AuditEntry.Outcome.DENIED,
            )
            raise NotAuthenticated("The Telegram webhook secret is wrong or not configured.")
        return "telegram"


@router.post("/telegram/webhook", response=TelegramWebhookOut, auth=TelegramSecret())
def telegram_webhook(request, update: TelegramUpdateIn):
    """One update from Telegram (webhook mode); a retried update is taken once."""
    taken = desk.take_webhook_update(BotApi(), update.model_dump(exclude_none=True))
    return {"ok": True, "duplicate": not taken}


@router.post("/alertmanager", response=AlertmanagerOut, auth=AlertmanagerToken())
def alertmanager(request, payload: AlertmanagerIn):
    """Turn an Alertmanager notification (firing or resolved alerts) into outbox events."""
    return {"accepted": services.alerts_accept(payload.model_dump())}
