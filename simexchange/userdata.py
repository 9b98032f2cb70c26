"""Listen keys and the user data stream: who gets which account's events, and key expiry."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from simexchange.errors import BinanceError
from simexchange.wsconn import Conn, dumps

if TYPE_CHECKING:
    from simexchange.core import Sim


class UserHub:
    def __init__(self, sim: Sim):
        self.sim = sim
        self.keys: dict[str, dict] = {}  # listenKey -> {"api_key", "expires_ms"}
        self.conns: dict[str, set[Conn]] = {}  # listenKey -> sockets

    # ------------------------------------------------------------ keys

    def _ttl_ms(self) -> int:
        return int(self.sim.settings.listen_key_ttl * 1000)

    def key_of(self, api_key: str) -> str | None:
        for lk, data in self.keys.items():
            if data["api_key"] == api_key:
                return lk
        return None

    def create(self, api_key: str) -> str:
        """Return the account's active key (extended) or a new one, as Binance does."""
        lk = self.key_of(api_key)
        if lk is None:
            lk = secrets.token_urlsafe(48).replace("-", "a").replace("_", "b")[:64]
            self.keys[lk] = {"api_key": api_key}
        self.keys[lk]["expires_ms"] = self.sim.server_ms() + self._ttl_ms()
        self.sim.store.mark_dirty()
        return lk

    def keepalive(self, api_key: str, listen_key: str | None) -> str:
        lk = self.key_of(api_key)
        if lk is None or (listen_key and listen_key != lk):
            raise BinanceError(-1125, "This listenKey does not exist.")
        self.keys[lk]["expires_ms"] = self.sim.server_ms() + self._ttl_ms()
        self.sim.store.mark_dirty()
        return lk

    def close_key(self, api_key: str, listen_key: str | None) -> None:
        lk = self.key_of(api_key)
        if lk is None or (listen_key and listen_key != lk):
            raise BinanceError(-1125, "This listenKey does not exist.")
        self.keys.pop(lk, None)
        for conn in self.conns.pop(lk, set()):
            conn.close_soon(1000, "listenKey closed")
        self.sim.store.mark_dirty()

    def valid(self, listen_key: str) -> bool:
        data = self.keys.get(listen_key)
        return bool(data) and data["expires_ms"] > self.sim.server_ms()

    def expire(self, listen_key: str) -> None:
        """Tell the key's sockets it expired, then forget it (keepalive now answers -1125)."""
        self.keys.pop(listen_key, None)
        event = {"e": "listenKeyExpired", "E": str(self.sim.server_ms()), "listenKey": listen_key}
        for conn in self.conns.pop(listen_key, set()):
            conn.send(dumps(event), force=True)
            conn.close_soon(1000, "listenKey expired")
        self.sim.store.mark_dirty()

    def expire_all(self) -> int:
        keys = list(self.keys)
        for lk in keys:
            self.expire(lk)
        return len(keys)

    def expire_due(self) -> None:
        now = self.sim.server_ms()
        for lk in [k for k, d in self.keys.items() if d["expires_ms"] <= now]:
            self.expire(lk)

    # ------------------------------------------------------------ sockets

    def attach(self, listen_key: str, conn: Conn) -> None:
        self.conns.setdefault(listen_key, set()).add(conn)

    def detach(self, conn: Conn) -> None:
        for conns in self.conns.values():
            conns.discard(conn)

    def publish(self, api_key: str, event: dict) -> None:
        lk = self.key_of(api_key)
        if lk is None or not self.conns.get(lk):
            return
        text = dumps(event)
        wrapped = None
        for conn in list(self.conns[lk]):
            if conn.events is not None and event.get("e") not in conn.events:
                continue
            if conn.combined:
                # a combined socket (`/private/stream`) wraps every push as Binance does; the
                # SDK finds the callback by that stream name and drops an unwrapped event
                wrapped = wrapped or dumps({"stream": lk, "data": event})
                conn.send(wrapped)
            else:
                conn.send(text)

    async def close_all(self) -> None:
        for conns in list(self.conns.values()):
            for conn in list(conns):
                await conn.close(1001, "server stopping")

    # ------------------------------------------------------------ persistence

    def to_json(self) -> dict:
        return {k: dict(v) for k, v in self.keys.items()}

    def load(self, data: dict) -> None:
        self.keys = {k: dict(v) for k, v in data.items() if v.get("api_key") in self.sim.keys}
