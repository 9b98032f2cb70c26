from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from risk.models import MONEY
from spark_site.answers import Answer
from spark_site.money import Money, StrictBool


class ChatIn(Schema):
    prompt: str = Field(..., min_length=1, max_length=1000)
    context: dict[str, Any] = Field(default_factory=dict)


class ActionOut(Answer):
    method: Literal["GET", "POST"]
    path: str
    body: dict[str, Any] | None


class Choice(Answer):
    label: str
    prompt: str


class ChatOut(Answer):
    intent: str
    action: ActionOut
    confirm_required: bool
    reply: str
    lang: Literal["tr", "en"]
    suggestions: list[str]
    # buttons for a question with choices (two positions, several orders): each sends `prompt`
    choices: list[Choice] = Field(default_factory=list)
    # defaults the action used (also named in the reply, in the user's language)
    defaults: list[str] = Field(default_factory=list)
    # the action's route is the cockpit issue's and not in this API yet: shown, not run
    needsEndpoint: bool = False  # noqa: N815
    # why a changing action was withheld: "negation", "question" or "hypothetical"
    mood: str | None = None


class HistoryItem(Answer):
    id: int
    prompt: str
    answer: ChatOut
    created_at: datetime


class GenerateIn(Schema):
    prompt: str = Field(..., min_length=1, max_length=1000)
    lang: Literal["tr", "en"] | None = None
    save: StrictBool = False
    # the risk limit in force (the page reads it from GET /futures/risk/status); the same
    # column bounds as RiskLimits.max_notional_usd
    maxNotionalUsd: Money(**MONEY, gt=0) | None = None  # noqa: N815


class DraftOut(Answer):
    id: int
    name: str
    version: int
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class TraceRow(Answer):
    field: str
    value: Any
    words: str  # the words of the idea the value came from; "" for a default (see notes)


class GenerateOut(Answer):
    strategy: dict[str, Any]
    errors: list[str]
    notes: list[str]
    lang: str
    trace: list[TraceRow] = Field(default_factory=list)
    draft: DraftOut | None = None


class DraftIn(Schema):
    name: str = Field("", max_length=120)
    document: dict[str, Any]
    prompt: str = Field("", max_length=1000)


class CommandRow(Answer):
    intent: str
    method: str
    path: str
    body: str
    permission: str
    confirm: str
    summary_tr: str
    summary_en: str
    examples: list[str]
    available: bool = True
