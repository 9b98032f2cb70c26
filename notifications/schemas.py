from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from spark_site.answers import Answer


class AlertIn(Schema):
    status: str = Field(..., pattern="^(firing|resolved)$")
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime  # noqa: N815 - Alertmanager's field names
    endsAt: datetime | None = None  # noqa: N815
    fingerprint: str = Field(..., min_length=1, max_length=64)


class AlertmanagerIn(Schema):
    version: str = "4"
    groupKey: str = Field("", max_length=1000)  # noqa: N815
    status: str = ""
    receiver: str = ""
    commonLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    alerts: list[AlertIn] = Field(..., max_length=500)


class AlertmanagerOut(Answer):
    accepted: int


class TelegramUpdateIn(Schema):
    """A Bot API Update: the two kinds the desk asks for (allowed_updates); others are taken
    and ignored."""

    update_id: int = Field(..., ge=0)
    message: dict | None = None
    callback_query: dict | None = None


class TelegramWebhookOut(Answer):
    ok: bool
    duplicate: bool
