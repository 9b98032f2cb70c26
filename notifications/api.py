"""POST /notifications/alertmanager: Alertmanager's webhook receiver, alerts into the outbox."""

from __future__ import annotations

import hmac

from django.conf import settings
from ninja import Router
from ninja.security import HttpBearer

from audit.models import AuditEntry
from audit.services import record
from notifications import services
from notifications.schemas import AlertmanagerIn, AlertmanagerOut
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


@router.post("/alertmanager", response=AlertmanagerOut, auth=AlertmanagerToken())
def alertmanager(request, payload: AlertmanagerIn):
    """Turn an Alertmanager notification (firing or resolved alerts) into outbox events."""
    return {"accepted": services.alerts_accept(payload.model_dump())}
