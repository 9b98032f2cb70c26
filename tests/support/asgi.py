"""Drive an ASGI HTTP app in-process over ASGI messages, as Daphne would (tests and bench)."""

from __future__ import annotations

import asyncio


async def asgi_request(
    app,
    path: str,
    *,
    body: bytes = b"",
    disconnect: bool = False,
    host: str = "testserver",
    headers: dict[str, str] | None = None,
    send_hook=None,
) -> dict:
    """One request (GET, or POST with a body); the answer's status, headers and body parts.

    disconnect=True: the client is gone before its body arrives (the app should send nothing).
    path may carry a query string; headers are extra request headers; send_hook(message) is
    awaited on every message the app sends (a slow client).
    """
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": "POST" if body else "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", host.encode())]
        + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "scheme": "http",
        "server": (host, 80),
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
        "root_path": "",
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    if disconnect:
        messages.append({"type": "http.disconnect"})
    answer: dict = {"status": None, "headers": {}, "parts": []}

    async def receive():
        if messages:
            return messages.pop()  # the disconnect, when there is one, comes first
        await asyncio.sleep(3600)  # the client never disconnects during a request

    async def send(message):
        if send_hook is not None:
            await send_hook(message)
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = dict(message["headers"])
        else:
            answer["parts"].append(message.get("body", b""))

    await app(scope, receive, send)
    answer["body"] = b"".join(answer["parts"])
    return answer
