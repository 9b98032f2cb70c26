"""A local stand-in for the Telegram Bot API: real HTTP on a loopback port, Telegram's answers.

Methods: sendMessage, getUpdates (long polling with offset confirmation), answerCallbackQuery,
editMessageReplyMarkup, setWebhook / deleteWebhook / getWebhookInfo (webhook mode: updates are
POSTed to the URL with the secret_token header, one at a time, retried until a 2xx; getUpdates
answers 409 while a webhook is set, as Telegram does). Errors as Telegram sends them: 401
Unauthorized for a wrong token, 404 for an unknown method, 400 "Bad Request: chat not found" /
"message to edit not found" / "query is too old…", and 429 with parameters.retry_after when
told to throttle.
The test drives it from the other side: a user writes (`say`), presses a button (`press`),
and the test reads what the bot sent (`sent`). `hold_sends()` keeps sendMessage answers back
after the message was recorded, to kill a worker while its request is in flight.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class TelegramStandIn:
    def __init__(self, token: str = "123456:TEST-token"):
        self.token = token
        self.lock = threading.Condition()
        self.chats: set[int] = set()
        self.messages: list[dict] = []  # what the bot sent
        self.updates: list[dict] = []
        self.next_update_id = 1000
        self.next_message_id = 1
        self.callback_answers: dict[str, str | None] = {}  # id -> answer text (None: pending)
        self.throttle: list[float] = []  # retry_after of the next sendMessage calls to refuse
        self.hold = threading.Event()
        self.hold.set()  # set = answer at once
        self.send_calls = 0
        self.webhook: dict | None = None  # {"url", "secret_token"} while a webhook is set
        self.webhook_posts: list[tuple[int, int]] = []  # (update_id, HTTP status) of each POST
        self.redeliver_next = 0  # POST the next N delivered updates once more (a retry)
        self.pusher = threading.Thread(target=self._push_webhooks, daemon=True)
        self.stopping = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> TelegramStandIn:
        self.thread.start()
        self.pusher.start()
        return self

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            self.lock.notify_all()
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------- the user's side
    def open_chat(self, chat_id: int) -> None:
        with self.lock:
            self.chats.add(chat_id)

    def _push(self, update: dict) -> int:
        with self.lock:
            update["update_id"] = self.next_update_id
            self.next_update_id += 1
            self.updates.append(update)
            self.lock.notify_all()
            return update["update_id"]

    def say(
        self, chat_id: int, text: str, *, language_code: str = "tr", from_id: int | None = None
    ) -> int:
        """Someone writes text to the bot in chat_id (by default a private chat, whose user id is
        the chat id; from_id is another member of a group chat)."""
        self.open_chat(chat_id)
        sender = {
            "id": from_id or chat_id,
            "is_bot": False,
            "first_name": "u",
            "language_code": language_code,
        }
        return self._push(
            {
                "message": {
                    "message_id": 0,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "from": sender,
                    "text": text,
                }
            }
        )

    def press(self, chat_id: int, message: dict, data: str, *, from_id: int | None = None) -> str:
        """The user of chat_id presses a button with data under message (as the bot sent it)."""
        query_id = f"cq{self.next_update_id}"
        with self.lock:
            self.callback_answers[query_id] = None
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": {"id": from_id or chat_id, "is_bot": False, "first_name": "u"},
                    "message": {
                        "message_id": message["message_id"],
                        "chat": {"id": chat_id, "type": "private"},
                        "text": message["text"],
                    },
                    "data": data,
                }
            }
        )
        return query_id

    def sent(self, chat_id: int | None = None) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if chat_id is None or m["chat"]["id"] == chat_id]

    def answer_of(self, query_id: str) -> str | None:
        with self.lock:
            return self.callback_answers.get(query_id)

    def confirmed(self) -> bool:
        """True when every update was confirmed by a later getUpdates offset."""
        with self.lock:
            return not self.updates

    # ------------------------------------------------------------- webhook mode
    def _push_webhooks(self) -> None:
        """POST queued updates to the webhook in order; keep one until it is answered 2xx."""
        while True:
            with self.lock:
                while not self.stopping and not (self.webhook and self.updates):
                    self.lock.wait(0.5)
                if self.stopping:
                    return
                update, hook = self.updates[0], dict(self.webhook)
            status = self._post(hook, update)
            with self.lock:
                self.webhook_posts.append((update["update_id"], status))
                if 200 <= status < 300:
                    if self.redeliver_next:
                        self.redeliver_next -= 1  # Telegram may deliver an update twice
                        continue
                    if self.updates and self.updates[0] is update:
                        self.updates.pop(0)
                    self.lock.notify_all()
                    continue
            time.sleep(0.2)  # refused or unreachable: Telegram retries later

    @staticmethod
    def _post(hook: dict, update: dict) -> int:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            hook["url"],
            data=json.dumps(update).encode(),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": hook.get("secret_token") or "",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def api_setWebhook(self, params):  # noqa: N802
        url = str(params.get("url") or "")
        if not url.startswith(("http://", "https://")):
            return self._error(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        with self.lock:
            self.webhook = {"url": url, "secret_token": params.get("secret_token") or ""}
            self.lock.notify_all()
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def api_deleteWebhook(self, params):  # noqa: N802
        with self.lock:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self.updates.clear()
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def api_getWebhookInfo(self, params):  # noqa: N802
        with self.lock:
            url = self.webhook["url"] if self.webhook else ""
            return 200, {
                "ok": True,
                "result": {"url": url, "pending_update_count": len(self.updates)},
            }

    # ------------------------------------------------------------- the Bot API
    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    params = json.loads(raw or b"{}")
                except ValueError:
                    return self._answer(400, error=(400, "Bad Request: can't parse JSON"))
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or parts[0] != f"bot{stand_in.token}":
                    return self._answer(401, error=(401, "Unauthorized"))
                method = getattr(stand_in, f"api_{parts[1]}", None)
                if method is None:
                    return self._answer(404, error=(404, "Not Found"))
                status, body = method(params)
                self._answer(status, body=body)

            def _answer(self, status, *, body=None, error=None):
                if error is not None:
                    body = {"ok": False, "error_code": error[0], "description": error[1]}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    @staticmethod
    def _error(code: int, description: str, **parameters) -> tuple[int, dict]:
        body = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return code, body

    def api_sendMessage(self, params):  # noqa: N802 - Telegram's method names
        with self.lock:
            self.send_calls += 1
            if self.throttle:
                wait = self.throttle.pop(0)
                return self._error(
                    429, f"Too Many Requests: retry after {wait:g}", retry_after=wait
                )
            chat_id = params.get("chat_id")
            if not isinstance(chat_id, int) or chat_id not in self.chats:
                return self._error(400, "Bad Request: chat not found")
            text = params.get("text")
            if not isinstance(text, str) or not text.strip():
                return self._error(400, "Bad Request: message text is empty")
            if len(text) > 4096:
                return self._error(400, "Bad Request: message is too long")
            message = {
                "message_id": self.next_message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
                "reply_markup": params.get("reply_markup"),
            }
            self.next_message_id += 1
            self.messages.append(message)
            self.lock.notify_all()
        # Recorded (the user has it) before the answer is held back.
        self.hold.wait()
        return 200, {"ok": True, "result": message}

    def api_getUpdates(self, params):  # noqa: N802
        if self.webhook is not None:
            return self._error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 50)
        deadline = time.monotonic() + timeout
        with self.lock:
            # An offset confirms every update before it: they are never sent again.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.lock.wait(max(deadline - time.monotonic(), 0))
            return 200, {"ok": True, "result": list(self.updates[:100])}

    def api_answerCallbackQuery(self, params):  # noqa: N802
        with self.lock:
            query_id = params.get("callback_query_id")
            if query_id not in self.callback_answers or self.callback_answers[query_id] is not None:
                return self._error(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is "
                    "invalid",
                )
            self.callback_answers[query_id] = str(params.get("text") or "")
            self.lock.notify_all()
        return 200, {"ok": True, "result": True}

    def api_editMessageReplyMarkup(self, params):  # noqa: N802
        with self.lock:
            for message in self.messages:
                if message["message_id"] == params.get("message_id") and message["chat"][
                    "id"
                ] == params.get("chat_id"):
                    message["reply_markup"] = params.get("reply_markup")
                    return 200, {"ok": True, "result": message}
        return self._error(400, "Bad Request: message to edit not found")
