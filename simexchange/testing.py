"""Helpers for tests: run the stand-in in-process or as a subprocess, and drive /_sim/.

with running_simexchange(feed_running=False) as sim:
    requests.get(sim.base_url + "/fapi/v1/ping")
    sim.control.set_price("BTCUSDT", "60000")

with SimProcess(env={"SIM_SEED": "1"}) as proc:
    ... proc.base_url, proc.ws_url, proc.api_key, proc.api_secret, proc.control
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from aiohttp import web

from simexchange.app import build_app
from simexchange.config import Settings
from simexchange.core import SIM_KEY, Sim


class SimControl:
    """A tiny requests client of the /_sim/ surface (and signed calls for convenience)."""

    def __init__(self, base_url: str, api_key: str = "", api_secret: str = ""):
        self.base_url = base_url
        self.api_key = api_key
        self.api_secret = api_secret
        self.http = requests.Session()

    def _post(self, path: str, body: dict | None = None) -> dict:
        r = self.http.post(self.base_url + path, json=body or {}, timeout=10)
        r.raise_for_status()
        return r.json()

    def set_price(self, symbol: str, price: Any, mark: Any = None) -> dict:
        body = {"symbol": symbol, "price": str(price)}
        if mark is not None:
            body["mark"] = str(mark)
        return self._post("/_sim/price", body)

    def price_path(self, symbol: str, prices: list, interval_ms: int = 100) -> dict:
        return self._post(
            "/_sim/price_path",
            {"symbol": symbol, "prices": [str(p) for p in prices], "interval_ms": interval_ms},
        )

    def feed(self, running: bool) -> dict:
        return self._post("/_sim/feed", {"running": running})

    def clock(self, offset_ms: int) -> dict:
        return self._post("/_sim/clock", {"offset_ms": offset_ms})

    def freeze_clock(self, at_ms: int | None = None) -> dict:
        """Stop the server clock (at server time at_ms if given); it moves only by clock()."""
        body: dict[str, Any] = {"freeze": True}
        if at_ms is not None:
            body["at_ms"] = at_ms
        return self._post("/_sim/clock", body)

    def thaw_clock(self) -> dict:
        return self._post("/_sim/clock", {"freeze": False})

    def funding(self, symbol: str, rate: Any) -> dict:
        """Set the funding rate the next settlements of symbol use."""
        return self._post("/_sim/funding", {"symbol": symbol, "rate": str(rate)})

    def settle_funding(self, symbol: str | None = None) -> dict:
        """Settle funding now (one symbol or all), without waiting for the 8-hour mark."""
        return self._post("/_sim/funding/settle", {"symbol": symbol} if symbol else {})

    def reset(self) -> dict:
        return self._post("/_sim/reset")

    def balances(self, **body: Any) -> dict:
        return self._post("/_sim/balances", body)

    def faults(self, **knobs: Any) -> dict:
        return self._post("/_sim/faults", knobs)

    def clear_faults(self) -> dict:
        r = self.http.delete(self.base_url + "/_sim/faults", timeout=10)
        r.raise_for_status()
        return r.json()

    def state(self) -> dict:
        r = self.http.get(self.base_url + "/_sim/state", timeout=10)
        r.raise_for_status()
        return r.json()

    def counters(self) -> dict:
        r = self.http.get(self.base_url + "/_sim/counters", timeout=10)
        r.raise_for_status()
        return r.json()

    def position_mode(self, dual: bool) -> dict:
        """Switch this key's account to hedge (True) or one-way (False) mode; Binance's answer
        (`{"code": 200, ...}`, or -4059/-4067/-4068 when it may not change)."""
        return self.signed(
            "POST", "/fapi/v1/positionSide/dual", dualSidePosition=str(bool(dual)).lower()
        ).json()

    def signed(self, method: str, path: str, **params: Any) -> requests.Response:
        """Send a signed Binance call with this key (params in the query string)."""
        params.setdefault("timestamp", int(time.time() * 1000))
        query = urlencode({k: str(v) for k, v in params.items()})
        sig = hmac.new(self.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        return self.http.request(
            method,
            f"{self.base_url}{path}?{query}&signature={sig}",
            headers={"X-MBX-APIKEY": self.api_key},
            timeout=10,
        )


@dataclass
class RunningSim:
    """What the helpers yield: URLs, the first key pair, the control client."""

    base_url: str
    ws_url: str
    api_key: str
    api_secret: str
    control: SimControl
    port: int
    settings: Settings | None = None
    sim: Sim | None = field(default=None, repr=False)  # in-process only: the live state


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_simexchange(port: int = 0, **settings: Any) -> Iterator[RunningSim]:
    """Run the stand-in on a background thread's event loop; stop (and save) on exit.

    Keyword settings are Settings fields (api_keys="k:s", tick_ms=50, feed_running=False, ...);
    SIM_* environment variables are not read, so tests stay hermetic.
    """
    cfg = Settings.from_env(env={}, host="127.0.0.1", port=port, **settings)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def start() -> None:
        app = build_app(cfg)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, cfg.host, cfg.port)
        await site.start()
        box["runner"] = runner
        box["sim"] = app[SIM_KEY]
        box["port"] = site._server.sockets[0].getsockname()[1]  # noqa: SLF001

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # surface start-up failures to the caller
            box["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="simexchange", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in box:
        raise RuntimeError("simexchange failed to start") from box["error"]
    p = box["port"]
    key, secret = cfg.api_keys[0]
    base = f"http://127.0.0.1:{p}"
    try:
        yield RunningSim(
            base_url=base,
            ws_url=f"ws://127.0.0.1:{p}",
            api_key=key,
            api_secret=secret,
            control=SimControl(base, key, secret),
            port=p,
            settings=cfg,
            sim=box["sim"],
        )
    finally:
        fut = asyncio.run_coroutine_threadsafe(box["runner"].cleanup(), loop)
        try:
            fut.result(15)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(15)
            loop.close()


class SimProcess:
    """`python -m simexchange` on a free port, as a context manager (real separate process).

    env entries are SIM_* variables added to the current environment. stop() sends SIGTERM
    (a clean stop: the state file is flushed) and waits.
    """

    def __init__(self, env: dict[str, str] | None = None, port: int | None = None):
        self.port = port or free_port()
        self.env = {**os.environ, **(env or {})}
        keys = self.env.get("SIM_API_KEYS") or "simkey:simsecret"
        self.api_key, _, self.api_secret = keys.split(",")[0].partition(":")
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.control = SimControl(self.base_url, self.api_key, self.api_secret)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> SimProcess:
        # stderr goes to a file, not a pipe: a pipe nobody reads would block a chatty process.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simexchange", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace")
                raise RuntimeError(f"simexchange exited with {self.proc.returncode}: {err}")
            try:
                if requests.get(self.base_url + "/fapi/v1/ping", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("simexchange did not answer /fapi/v1/ping in time")

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
