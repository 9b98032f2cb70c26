"""Copilot workflows: answer a chat prompt, generate a strategy, save and list drafts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from accounts.permissions import require
from audit.services import record
from copilot import strategy, strategy_schema
from copilot.models import ChatMessage, StrategyDraft
from copilot.parser import interpret
from spark_site.errors import NotFound, ValidationFailed

HISTORY_LIMIT = 50


def chat_answer(*, user, prompt: str, context: dict | None = None) -> dict:
    """Interpret a prompt; keep it and the answer in the user's history. Runs nothing."""
    answer = interpret(prompt, context or {})
    if user is not None and user.is_authenticated:
        ChatMessage.objects.create(
            user=user, prompt=prompt, answer=answer, intent=answer["intent"], lang=answer["lang"]
        )
    return answer


def chat_history(*, user, limit: int = HISTORY_LIMIT) -> list[ChatMessage]:
    """The user's latest chat turns, oldest first (for display)."""
    if user is None or not user.is_authenticated:
        return []
    rows = list(ChatMessage.objects.filter(user=user)[:limit])
    rows.reverse()
    return rows


def strategy_generate(
    *, user, prompt: str, lang: str | None = None, save: bool = False, max_notional=None
) -> dict:
    """Generate a strategy document; with save, also store it as the user's draft."""
    if save:
        require(user, "copilot.add_strategydraft", action="strategy.draft_save")
    result = strategy.generate(prompt, lang=lang, max_notional=max_notional)
    result["draft"] = None
    if save and not result["errors"]:
        result["draft"] = draft_save(user=user, document=result["strategy"], prompt=prompt)
    return result


def draft_save(*, user, document: dict, name: str = "", prompt: str = "") -> StrategyDraft:
    """Validate and store a strategy document as a draft of user (needs add_strategydraft)."""
    require(user, "copilot.add_strategydraft", action="strategy.draft_save")
    document = dict(document)
    if name:
        document["name"] = name
    errors = strategy_schema.validate(document, max_notional_usd=_declared_cap(document))
    if errors:
        raise ValidationFailed(
            "The strategy document is not valid.",
            details={"errors": errors},
            code="INVALID_STRATEGY",
        )
    draft = StrategyDraft.objects.create(
        owner=user,
        name=document["name"][:120],
        document=document,
        version=document["version"],
        prompt=prompt or (document.get("source") or {}).get("prompt", ""),
    )
    record(
        actor=user,
        action="strategy.draft_save",
        target=str(draft.pk),
        payload={"name": draft.name, "symbol": document.get("symbol")},
    )
    return draft


def _declared_cap(document: dict) -> Decimal:
    """The max notional a draft declares it was sized for, else the default limit.

    A draft is not an order: the risk gate checks every order it leads to against the limits
    in force, so the declared cap only keeps the document consistent with itself.
    """
    try:
        cap = Decimal(str((document.get("risk") or {}).get("max_notional_usd")))
        if cap > 0:
            return cap
    except (InvalidOperation, TypeError, AttributeError):
        pass
    return strategy.max_notional_usd()


def drafts_of(*, user):
    """The user's saved drafts, newest first."""
    if user is None or not user.is_authenticated:
        return StrategyDraft.objects.none()
    return StrategyDraft.objects.filter(owner=user)


def draft_get(*, user, draft_id: int) -> StrategyDraft:
    draft = drafts_of(user=user).filter(pk=draft_id).first()
    if draft is None:
        raise NotFound("No such strategy draft.", details={"id": draft_id})
    return draft
