from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema


class ChatIn(Schema):
    prompt: str = Field(..., min_length=1, max_length=1000)
    context: dict[str, Any] = Field(default_factory=dict)


class ActionOut(Schema):
    method: Literal["GET", "POST"]
    path: str
    body: dict[str, Any] | None


class ChatOut(Schema):
    intent: str
    action: ActionOut
    confirm_required: bool
    reply: str
    lang: Literal["tr", "en"]
    suggestions: list[str]


class HistoryItem(Schema):
    id: int
    prompt: str
    answer: ChatOut
    created_at: datetime


class GenerateIn(Schema):
    prompt: str = Field(..., min_length=1, max_length=1000)
    lang: Literal["tr", "en"] | None = None
    save: bool = False
    # the risk limit in force (the page reads it from GET /futures/risk/status)
    maxNotionalUsd: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=8)  # noqa: N815


class DraftOut(Schema):
    id: int
    name: str
    version: int
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class GenerateOut(Schema):
    strategy: dict[str, Any]
    errors: list[str]
    notes: list[str]
    lang: str
    draft: DraftOut | None = None


class DraftIn(Schema):
    name: str = Field("", max_length=120)
    document: dict[str, Any]
    prompt: str = Field("", max_length=1000)


class CommandRow(Schema):
    intent: str
    method: str
    path: str
    body: str
    permission: str
    confirm: str
    summary_tr: str
    summary_en: str
    examples: list[str]
