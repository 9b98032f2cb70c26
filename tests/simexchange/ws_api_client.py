"""A WebSocket API (`/ws-fapi/v1`) client for the simexchange tests: Binance's request
signing over the `websockets` sync client, one key per client."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from websockets.sync.client import ClientConnection

from .conftest import ALICE


def signature(secret: str, params: dict[str, Any]) -> str:
    """Binance's WS API rule: every param but `signature`, sorted by name, joined as k=v&k=v."""
    payload = "&".join(f"{k}={param_text(params[k])}" for k in sorted(params))
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def param_text(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


class WsApi:
    """A WebSocket API client over the `websockets` sync client, one key's signer."""

    def __init__(self, ws: ClientConnection, key: tuple[str, str] = ALICE):
        self.ws = ws
        self.key, self.secret = key
        self.n = 0

    def send(self, frame: dict | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def recv(self) -> dict:
        return json.loads(self.ws.recv(timeout=5))

    def request(self, method: str, params: dict | None = None) -> dict:
        self.n += 1
        frame: dict[str, Any] = {"id": f"req-{self.n}", "method": method}
        if params is not None:
            frame["params"] = params
        self.send(frame)
        answer = self.recv()
        assert answer["id"] == f"req-{self.n}"
        return answer

    def signed_params(self, **params: Any) -> dict:
        params = {"apiKey": self.key, "timestamp": int(time.time() * 1000), **params}
        params["signature"] = signature(self.secret, params)
        return params

    def signed(self, method: str, **params: Any) -> dict:
        return self.request(method, self.signed_params(**params))

    def ok(self, method: str, **params: Any) -> Any:
        answer = self.signed(method, **params)
        assert answer["status"] == 200, answer
        return answer["result"]

    def err(self, method: str, **params: Any) -> tuple[int, int, str]:
        answer = self.signed(method, **params)
        assert "result" not in answer, answer
        return answer["status"], answer["error"]["code"], answer["error"]["msg"]
