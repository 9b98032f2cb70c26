"""The Telegram desk: link a chat, answer commands and sentences through the copilot, and run
the actions it returns only after a single-use Onayla button of the same user and chat.

The copilot never runs anything; the desk runs a returned action through Spark's own API view
as the linked user (the same authentication result, role checks, risk gate and audit as the
page), with the audit entries' client address set to `telegram:<chat id>`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.context import bind_client_ip
from audit.models import AuditEntry
from audit.services import record
from copilot.services import chat_answer
from futures.selectors import open_positions
from notifications import services
from notifications.channels.telegram import BotApi
from notifications.messages import number
from notifications.models import BotCursor, DeskAction, TelegramUpdate

logger = logging.getLogger(__name__)

# Telegram commands -> the copilot sentence they stand for.
COMMANDS = {
    "/durum": "durum",
    "/pozisyonlar": "pozisyonlarım",
    "/emirler": "açık emirler",
    "/pnl": "günlük kâr zarar",
    "/risk": "risk durumu",
    "/canary": "canary durumu",
}
MAX_TEXT = 3500
# Intents whose action is only a placeholder (the copilot needs more words).
NO_ACTION_INTENTS = frozenset({"unknown", "help", "clarify"})  # Telegram's limit is 4096 characters


def poll_once(bot: BotApi, *, timeout: int) -> int:
    """One getUpdates call; each update is handled, then the offset is stored past it."""
    cursor = BotCursor.load()
    updates = bot.get_updates(cursor.update_offset, timeout)
    for update in updates:
        try:
            handle_update(bot, update)
        except Exception:  # noqa: BLE001 - one bad update must not block the ones after it
            logger.exception("desk update %s failed", update.get("update_id"))
        # After handling: a crash in between replays the update, and a replayed button press
        # or link code finds its row already used.
        BotCursor.objects.filter(pk=cursor.pk).update(update_offset=update["update_id"] + 1)
    return len(updates)


def take_webhook_update(bot: BotApi, update: dict) -> bool:
    """Handle one update Telegram POSTed; False when it was taken before (a retry).

    The update id is stored before handling: Telegram retries until it gets a 2xx, and a
    retried button press must not run its action twice (a crash mid-handling loses the update
    instead, and the user presses again).
    """
    try:
        with transaction.atomic():
            TelegramUpdate.objects.create(update_id=int(update["update_id"]))
    except IntegrityError:
        return False
    try:
        handle_update(bot, update)
    except Exception:  # noqa: BLE001 - answered 200 anyway: a retry would be dropped as taken
        logger.exception("desk webhook update %s failed", update.get("update_id"))
    return True


def handle_update(bot: BotApi, update: dict) -> None:
    if "callback_query" in update:
        handle_button(bot, update["callback_query"])
    elif "message" in update and (update["message"].get("text") or "").strip():
        handle_message(bot, update["message"])


def _lang(sender: dict) -> str:
    return "en" if str(sender.get("language_code") or "").startswith("en") else "tr"


def handle_message(bot: BotApi, message: dict) -> None:
    chat_id = int(message["chat"]["id"])
    sender = message.get("from") or {}
    text = message["text"].strip()
    lang = _lang(sender)
    with translation.override(lang):
        start = re.fullmatch(r"/start(?:@\w+)?\s+([A-Za-z0-9]{4,16})", text)
        if start:
            link = services.link_consume(
                code=start.group(1),
                chat_id=chat_id,
                telegram_user_id=int(sender.get("id") or 0),
                username=str(sender.get("username") or ""),
            )
            bot.send_message(
                chat_id,
                _("This chat is now linked to %(user)s.") % {"user": link.user.get_username()}
                if link
                else _("This code is wrong, used or expired. Make a new one on your profile page."),
            )
            return
        user = services.linked_user(chat_id, sender.get("id"))
        if user is None:
            bot.send_message(chat_id, linking_instructions())
            return
        command = text.split()[0].split("@")[0].lower()
        sentence = COMMANDS.get(command, text)
        if command.startswith("/") and command not in COMMANDS:
            bot.send_message(chat_id, help_text())
            return
        answer_sentence(bot, chat_id, user, sentence, lang)


def linking_instructions() -> str:
    return _(
        "This chat is not linked to a Spark user. Open your profile page in Spark, press "
        "'Link Telegram' and send the code here as: /start CODE (valid for 10 minutes)."
    )


def help_text() -> str:
    return _("Commands: %(commands)s, or write a sentence.") % {"commands": " ".join(COMMANDS)}


def answer_sentence(bot: BotApi, chat_id: int, user, sentence: str, lang: str) -> None:
    answer = chat_answer(user=user, prompt=sentence, context=_context(user, lang))
    action = answer["action"]
    if answer["intent"] in NO_ACTION_INTENTS:
        # The copilot asks back or did not understand: its reply and suggestions, nothing run.
        hints = " · ".join(answer.get("suggestions") or [])
        bot.send_message(chat_id, f"{answer['reply']}\n{hints}".strip()[:MAX_TEXT])
        return
    if action["method"] == "GET":
        status, body = run_action(user, chat_id, action)
        bot.send_message(chat_id, f"{answer['reply']}\n{summarize(body, lang)}"[:MAX_TEXT])
        return
    # Every change waits for a button, whatever the copilot's own confirm flag says.
    row = DeskAction.objects.create(
        token=secrets.token_urlsafe(12),
        user=user,
        chat_id=chat_id,
        action=action,
        action_sha256=_digest(action),
        expires_at=timezone.now() + timedelta(seconds=settings.SPARK_TELEGRAM_BUTTON_TTL_SECONDS),
    )
    result = bot.send_message(
        chat_id,
        f"{answer['reply']}\n{action['method']} {action['path']} "
        f"{json.dumps(action['body'] or {}, ensure_ascii=False)}",
        buttons=[
            [
                {
                    "text": pgettext("telegram button", "Confirm"),
                    "callback_data": f"ok:{row.token}",
                },
                {"text": pgettext("telegram button", "Cancel"), "callback_data": f"no:{row.token}"},
            ]
        ],
    )
    DeskAction.objects.filter(pk=row.pk).update(message_id=(result or {}).get("message_id"))


def handle_button(bot: BotApi, query: dict) -> None:
    """Run or drop the action of a button: same user, same chat, once, before it expires."""
    data = str(query.get("data") or "")
    message = query.get("message") or {}
    chat_id = int((message.get("chat") or {}).get("id") or 0)
    lang = _lang(query.get("from") or {})
    verb, _sep, token = data.partition(":")
    with translation.override(lang):
        row = DeskAction.objects.filter(token=token).first() if verb in ("ok", "no") else None
        user = services.linked_user(chat_id, (query.get("from") or {}).get("id"))
        if row is None or user is None or row.chat_id != chat_id or row.user_id != user.pk:
            record(
                actor=user,
                action="telegram.button",
                target=f"chat:{chat_id}",
                payload={"reason": "not_this_chat" if row is not None else "unknown_button"},
                outcome=AuditEntry.Outcome.DENIED,
            )
            bot.answer_callback_query(query["id"], _("This button is not for this chat."))
            return
        outcome = "confirmed" if verb == "ok" else "cancelled"
        # Compare-and-set: of two presses (or two pollers) only one finds the row unused.
        with transaction.atomic():
            used = DeskAction.objects.filter(
                pk=row.pk, used_at=None, expires_at__gt=timezone.now()
            ).update(used_at=timezone.now(), outcome=outcome)
        if not used:
            bot.answer_callback_query(query["id"], _("This button was already used or expired."))
            return
        if row.message_id:
            try:
                bot.remove_buttons(chat_id, row.message_id)
            except Exception:  # noqa: BLE001 - the action is what matters
                logger.info("could not remove the buttons of desk action %s", row.pk)
        if verb == "no" or _digest(row.action) != row.action_sha256:
            record(
                actor=user,
                action="telegram.cancel",
                target=f"chat:{chat_id}",
                payload={"action": row.action},
            )
            bot.answer_callback_query(query["id"], _("Cancelled."))
            return
        record(
            actor=user,
            action="telegram.confirm",
            target=f"chat:{chat_id}",
            payload={"action": row.action},
        )
        status, body = run_action(user, chat_id, row.action)
        done = _("Done.") if status < 400 else _("Refused.")
        bot.answer_callback_query(query["id"], done)
        bot.send_message(chat_id, f"{done} (HTTP {status})\n{summarize(body, lang)}"[:MAX_TEXT])


def _digest(action: dict) -> str:
    return hashlib.sha256(json.dumps(action, sort_keys=True).encode()).hexdigest()


def _context(user, lang: str) -> dict:
    """What the copilot may know about the account: the open positions (a read)."""
    env = settings.BINANCE_FUTURES_RESOLVED_ENV
    positions = [
        {"symbol": p.symbol, "positionAmt": str(p.position_amt)} for p in open_positions(env)
    ]
    return {"lang": lang, "positions": positions}


def run_action(user, chat_id: int, action: dict) -> tuple[int, object]:
    """Call the API view of action as user; return (HTTP status, JSON body).

    The view authenticates the request as a logged-in session of user. CSRF guards a browser
    against other sites posting with its cookie; this request was built here from a linked
    chat's confirmed button, so the check does not apply (as in Django's own test client).
    """
    path, _q, query = str(action["path"]).partition("?")
    request = HttpRequest()
    request.method = action["method"]
    request.path = request.path_info = path
    request.META = {
        "SERVER_NAME": "telegram-desk",
        "SERVER_PORT": "443",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "QUERY_STRING": query,
    }
    from django.http import QueryDict

    request.GET = QueryDict(query)
    request._body = json.dumps(action.get("body") or {}).encode()  # noqa: SLF001
    request.user = user
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "telegram-desk"
    request._dont_enforce_csrf_checks = True  # noqa: SLF001
    try:
        match = resolve(path)
    except Resolver404:
        return 404, {"error": {"code": "NOT_FOUND", "message": path}}
    with bind_client_ip(f"telegram:{chat_id}"):
        response = match.func(request, *match.args, **match.kwargs)
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    return response.status_code, body


def summarize(body, lang: str, depth: int = 0) -> str:
    """A JSON answer as short lines, numbers in the reader's format."""
    pad = "  " * depth
    if isinstance(body, dict):
        if "error" in body and isinstance(body["error"], dict):
            return f"{pad}{body['error'].get('code')}: {body['error'].get('message')}"
        lines = []
        for key, value in list(body.items())[:25]:
            if isinstance(value, dict | list):
                lines.append(f"{pad}{key}:")
                lines.append(summarize(value, lang, depth + 1))
            else:
                lines.append(f"{pad}{key}: {_scalar(value, lang)}")
        return "\n".join(line for line in lines if line)
    if isinstance(body, list):
        if not body:
            return f"{pad}-"
        return "\n".join(summarize(item, lang, depth) + "\n" for item in body[:10]).rstrip()
    return pad + _scalar(body, lang)


def _scalar(value, lang: str) -> str:
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        try:
            return number(Decimal(value), lang)
        except InvalidOperation:
            return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return number(Decimal(str(value)), lang)
    return str(value)
