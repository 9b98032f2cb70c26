"""The Telegram Bot API over HTTPS with `requests`: the few methods Spark uses.

The token is part of every URL (`/bot<token>/method`), so no URL, and no exception text that
may carry one, ever leaves this module: errors name the method and Telegram's description.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from notifications.channels import DeliveryError, NotSent, OutcomeUnknown


class TelegramError(DeliveryError):
    """Telegram answered ok=false: error_code and description as it sent them."""

    def __init__(self, method: str, code: int, description: str, retry_after: float | None):
        # 400 (bad chat, bad markup) and 403 (bot blocked by the user) will not get better.
        super().__init__(
            f"telegram {method}: {code} {description}"[:300],
            permanent=code in (400, 401, 403, 404),
            retry_after=retry_after,
        )
        self.code = code
        self.description = description


class BotApi:
    """One bot; base_url and token default to the settings."""

    def __init__(self, *, base_url: str | None = None, token: str | None = None, timeout=None):
        self.base_url = (base_url or settings.TELEGRAM_API_URL).rstrip("/")
        self.token = token if token is not None else settings.TELEGRAM_BOT_TOKEN
        self.timeout = timeout or settings.SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS
        self.session = requests.Session()

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def call(self, method: str, params: dict[str, Any], *, timeout: float | None = None) -> Any:
        """POST one method as JSON; return `result` or raise TelegramError / NotSent / Unknown."""
        url = f"{self.base_url}/bot{self.token}/{method}"
        try:
            response = self.session.post(url, json=params, timeout=timeout or self.timeout)
        except requests.ConnectionError as exc:
            # A refused or failed connect sent nothing; a connection dropped mid-answer may
            # have been read by Telegram. urllib3 tells them apart only by the exception type.
            if isinstance(exc, requests.ConnectTimeout) or _is_connect_error(exc):
                raise NotSent(f"telegram {method}: connection failed") from None
            raise OutcomeUnknown(f"telegram {method}: connection lost") from None
        except requests.Timeout:
            raise OutcomeUnknown(f"telegram {method}: no answer in time") from None
        try:
            body = response.json()
        except ValueError:
            raise DeliveryError(f"telegram {method}: HTTP {response.status_code}") from None
        if body.get("ok"):
            return body.get("result")
        retry_after = (body.get("parameters") or {}).get("retry_after")
        raise TelegramError(
            method,
            int(body.get("error_code") or response.status_code),
            str(body.get("description") or ""),
            float(retry_after) if retry_after is not None else None,
        )

    def send_message(self, chat_id: int, text: str, *, buttons: list | None = None) -> dict:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if buttons:
            params["reply_markup"] = {"inline_keyboard": buttons}
        return self.call("sendMessage", params)

    def get_updates(self, offset: int, timeout: int) -> list[dict]:
        params = {
            "offset": offset,
            "timeout": timeout,
            "allowed_updates": ["message", "callback_query"],
        }
        return self.call("getUpdates", params, timeout=timeout + self.timeout)

    def set_webhook(self, url: str, secret: str) -> None:
        """Webhook mode: Telegram POSTs each update to url with secret in a header."""
        self.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret,
                "allowed_updates": ["message", "callback_query"],
            },
        )

    def delete_webhook(self) -> None:
        """Back to long polling (getUpdates answers 409 while a webhook is set)."""
        self.call("deleteWebhook", {"drop_pending_updates": False})

    def answer_callback_query(self, callback_query_id: str, text: str) -> None:
        self.call("answerCallbackQuery", {"callback_query_id": callback_query_id, "text": text})

    def remove_buttons(self, chat_id: int, message_id: int) -> None:
        self.call(
            "editMessageReplyMarkup",
            {"chat_id": chat_id, "message_id": message_id, "reply_markup": {"inline_keyboard": []}},
        )


def _is_connect_error(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made (nothing of the request reached the server)."""
    import urllib3.exceptions

    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)
