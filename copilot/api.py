"""HTTP API of the copilot: /ai/chat, /ai/generate-strategy, drafts and history.

The copilot returns actions and never runs them; the page sends an action through the normal API,
so authentication, the risk gate and the audit log apply to it.
"""

from __future__ import annotations

from ninja import Router, Status

from accounts.auth import READ_AUTH, WRITE_AUTH, write_auth
from copilot import services
from copilot.parser import command_table
from copilot.schemas import (
    ChatIn,
    ChatOut,
    CommandRow,
    DraftIn,
    DraftOut,
    GenerateIn,
    GenerateOut,
    HistoryItem,
)

router = Router(tags=["copilot"])


@router.post("/chat", response=ChatOut, auth=WRITE_AUTH)
def chat(request, payload: ChatIn):
    """Turn a Turkish or English sentence into one API action for the caller to review and run."""
    return services.chat_answer(user=request.auth, prompt=payload.prompt, context=payload.context)


@router.get("/history", response=list[HistoryItem], auth=READ_AUTH)
def history(request, limit: int = 50):
    """The caller's latest chat turns, oldest first."""
    rows = services.chat_history(user=request.auth, limit=max(1, min(limit, 200)))
    return [
        {"id": r.pk, "prompt": r.prompt, "answer": r.answer, "created_at": r.created_at}
        for r in rows
    ]


@router.get("/commands", response=list[CommandRow], auth=READ_AUTH)
def commands(request):
    """The command table the parser uses (the same rows as docs/copilot-commands.md)."""
    return command_table()


@router.post("/generate-strategy", response=GenerateOut, auth=WRITE_AUTH)
def generate_strategy(request, payload: GenerateIn):
    """Generate a strategy document from an idea; `save: true` also stores it as a draft."""
    return services.strategy_generate(
        user=request.auth,
        prompt=payload.prompt,
        lang=payload.lang,
        save=payload.save,
        max_notional=payload.maxNotionalUsd,
    )


@router.post(
    "/drafts",
    response={201: DraftOut},
    auth=write_auth("copilot.add_strategydraft", "strategy.draft_save"),
)
def draft_create(request, payload: DraftIn):
    """Save a (possibly edited) strategy document as a draft (trader: add_strategydraft)."""
    draft = services.draft_save(
        user=request.auth, document=payload.document, name=payload.name, prompt=payload.prompt
    )
    return Status(201, draft)


@router.get("/drafts", response=list[DraftOut], auth=READ_AUTH)
def draft_list(request):
    """The caller's saved drafts, newest first."""
    return list(services.drafts_of(user=request.auth)[:100])


@router.get("/drafts/{draft_id}", response=DraftOut, auth=READ_AUTH)
def draft_detail(request, draft_id: int):
    """One of the caller's drafts."""
    return services.draft_get(user=request.auth, draft_id=draft_id)
