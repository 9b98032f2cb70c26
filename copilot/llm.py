"""The optional language-model fallback: asked only when the rules do not understand a sentence.

Off unless `SPARK_COPILOT_LLM_URL` names an OpenAI-compatible endpoint (a local Ollama or
llama.cpp server, or a hosted one). What is sent: the command table (intents and their body
fields), the user's sentence and, only with `SPARK_COPILOT_LLM_SEND_ACCOUNT`, the symbols and
sizes of the open positions. Never a secret, a balance, an order id or another user's data.

Its answer must be one JSON object `{"intent", "body"}` naming a command of the table with a
body the endpoint's own schema accepts; it then leaves through the same `parser.finish` as every
answer (negations, questions and hypotheticals refused, confirmations set), and an order is a
dry-run unless the sentence itself asks for a live one. A timeout, an error or anything else is
a clarifying question.
"""

from __future__ import annotations

import json
import logging

import requests
from django.conf import settings
from pydantic import ValidationError

from canary.schemas import ConfirmIn, RunIn
from copilot.parser import (
    COMMANDS,
    COMMANDS_BY_INTENT,
    Answer,
    PageContext,
    Sentence,
    asks_for_live,
    clarify,
    in_language,
)
from futures.schemas import CancelAllIn, CancelIn, LeverageIn, MarginTypeIn, OrderIn
from spark_site.money import json_loads

log = logging.getLogger(__name__)

# intents the model may not choose: questions back and non-answers are the rules' to give
_NOT_FOR_THE_MODEL = {"clarify", "unknown", "help"}


def enabled() -> bool:
    return bool(settings.SPARK_COPILOT_LLM_URL)


def _schemas() -> dict[str, type]:
    """The request schema of every POST endpoint a command may name (the API's own)."""
    return {
        "/futures/order.place": OrderIn,
        "/futures/order.cancel": CancelIn,
        "/futures/order.cancelAll": CancelAllIn,
        "/futures/leverage": LeverageIn,
        "/futures/marginType": MarginTypeIn,
        "/canary/run": RunIn,
        "/canary/confirm": ConfirmIn,
    }


def _system_prompt() -> str:
    rows = [
        f"- {c.intent}: {c.method} {c.path} body {c.body or 'none'} ({c.summary_en})"
        for c in COMMANDS
        if c.available and c.intent not in _NOT_FOR_THE_MODEL
    ]
    return (
        "You turn one trading sentence (Turkish or English) into one JSON object "
        '{"intent": ..., "body": {...} or null} using only these commands:\n'
        + "\n".join(rows)
        + "\nDecimals are strings. Answer with the JSON object only."
    )


def request_payload(prompt: str, ctx: PageContext) -> dict:
    """What is sent to the endpoint (a test reads it: no secret, account only with consent)."""
    user = prompt
    if settings.SPARK_COPILOT_LLM_SEND_ACCOUNT and (ctx.positions or ctx.sides):
        rows = [f"{sym} {amt}" for sym, amt in sorted(ctx.positions.items())]
        rows += [f"{sym} {side} {amt}" for (sym, side), amt in sorted(ctx.sides.items())]
        held = ", ".join(rows)
        user += f"\n(open positions: {held})"
    if settings.SPARK_COPILOT_LLM_SEND_ACCOUNT and ctx.hedge:
        user += "\n(hedge mode: every order names positionSide LONG or SHORT; no reduceOnly)"
    return {
        "model": settings.SPARK_COPILOT_LLM_MODEL,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": _system_prompt()},
            {"role": "user", "content": user},
        ],
    }


def fallback(prompt: str, s: Sentence, ctx: PageContext, lang: str) -> Answer:
    """The model's answer as an Answer, or a clarifying question when it has none we accept."""
    url = settings.SPARK_COPILOT_LLM_URL.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if settings.SPARK_COPILOT_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.SPARK_COPILOT_LLM_API_KEY}"
    try:
        response = requests.post(
            url,
            data=json.dumps(request_payload(prompt, ctx)),
            headers=headers,
            timeout=settings.SPARK_COPILOT_LLM_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        answer = _validated(json_loads(content), s, lang, hedge=ctx.hedge)
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
        # the reason, never the request (the key is in its headers)
        log.info("copilot: language-model fallback gave no answer (%s)", type(exc).__name__)
        answer = None
    if answer is None:
        return clarify(
            lang,
            "Bunu anlayamadım. Komutu daha açık yazar mısınız? Örnek: '0,01 ETH al', "
            "'pozisyonlarım'.",
            "I did not understand that. Could you say it as a command? For example: "
            "'buy 0.01 ETH', 'my positions'.",
            ["0,01 ETH al", "pozisyonlarım"] if lang == "tr" else ["buy 0.01 eth", "my positions"],
        )
    return answer


def _fits_mode(body: dict, *, hedge: bool) -> bool:
    """Whether a model's body fits the account's mode (the rules' answers always do)."""
    side = body.get("positionSide")
    if not hedge:
        return side in (None, "BOTH")
    if body.get("reduceOnly"):
        return False  # Binance refuses reduceOnly in hedge mode
    # an order, a TP/SL or a trailing stop acts on one side: it must say which
    acts_on_a_side = any(k in body for k in ("side", "stopLoss", "takeProfit", "callbackRate"))
    return side in ("LONG", "SHORT") or (not acts_on_a_side and side is None)


def _validated(data, s: Sentence, lang: str, *, hedge: bool = False) -> Answer | None:
    """An Answer for a model's {"intent", "body"} that the table and the schemas accept, with
    the account's position mode: on a hedge account a changing body names positionSide LONG or
    SHORT and never reduceOnly; on a one-way one it names no side (as the rules' answers)."""
    if not isinstance(data, dict):
        return None
    command = COMMANDS_BY_INTENT.get(data.get("intent"))
    if command is None or not command.available or command.intent in _NOT_FOR_THE_MODEL:
        return None
    body = data.get("body")
    if command.method == "GET":
        body = None
    else:
        schema = _schemas().get(command.path)
        if schema is None or not isinstance(body, dict):
            return None
        if command.path == "/futures/order.place":
            # live only when the sentence itself says so, whatever the model answered
            body = {**body, "dryRun": not asks_for_live(s)}
        try:
            schema.model_validate(body)
        except ValidationError:
            return None
        if not _fits_mode(body, hedge=hedge):
            return None
    reply = in_language(
        lang,
        f"Dil modeli yorumu ({command.summary_tr}): eylemi gözden geçirin.",
        f"Language-model reading ({command.summary_en}): review the action.",
    )
    return Answer(command.intent, command.method, command.path, body, reply)
