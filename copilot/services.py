"""Copilot workflows: answer a chat prompt, generate a strategy, save and list drafts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from accounts.permissions import require
from audit.services import record
from copilot import llm, strategy, strategy_schema
from copilot.account import account_context
from copilot.models import ChatMessage, StrategyDraft
from copilot.parser import analyze, interpret
from spark_site.errors import NotFound, ValidationFailed

HISTORY_LIMIT = 50


# What a page may tell the copilot; everything about the account itself comes from the server.
PAGE_KEYS = (
    "symbol",
    "lang",
    "breakerOpen",
    "risk",
    "streamsStale",
    "streams",
    "rejectRate",
    "rejectRateHigh",
)


def chat_answer(*, user, prompt: str, context: dict | None = None) -> dict:
    """Interpret a prompt against the account's real state; keep it in the user's history.

    Positions, open orders, the confirmable canary run, balances, PnL and mark prices are read
    here from Spark's rows whatever the client sends: a client cannot make the copilot close a
    position it does not hold or confirm a run it did not start. Runs nothing.
    """
    page = {k: v for k, v in (context or {}).items() if k in PAGE_KEYS}
    if user is not None and user.is_authenticated:
        # mark prices and steps are read only for a sentence with a number in it (a notional,
        # a share, a stop): the other sentences never pay for an exchange round trip
        symbols = [sym for _, sym in analyze(prompt).symbols] if re.search(r"\d", prompt) else []
        page.update(account_context(user=user, prompt=prompt, symbols=symbols))
    answer = interpret(prompt, page, fallback=llm.fallback if llm.enabled() else None)
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
