"""Smoke test: start Spark on the embedded defaults and walk the checklist of docs/en/smoke.md.

Run through `make smoke` (or `.venv/bin/python scripts/smoke.py`). It starts
`scripts/run_platform.py` on free ports with its own temporary SPARK_VAR_DIR (so its database,
first-run admin and stand-in state are fresh), reads the API token that the first run prints,
walks every step printing ✓ or ✗ with a detail, stops everything it started (even on failure)
and exits 1 when any step failed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
START_TIMEOUT = 120.0
TOKEN_RE = re.compile(r"API token:\s*(\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    """scripts/run_platform.py as a subprocess; its output is kept for failure reports."""

    def __init__(self, var_dir: str):
        self.port = free_port()
        self.sim_port = free_port()
        self.var_dir = var_dir
        self.lines: list[str] = []
        self.token = ""
        self.ready = threading.Event()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BINANCE_", "BTCTURK_"))}
        for name in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "SPARK_VAR_DIR"):
            env.pop(name, None)
        env.update(
            PORT=str(self.port),
            SIM_PORT=str(self.sim_port),
            SPARK_VAR_DIR=self.var_dir,
            SIM_STATE_FILE=str(Path(self.var_dir) / "sim-state.json"),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [PY, str(ROOT / "scripts" / "run_platform.py")],
            cwd=ROOT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(START_TIMEOUT):
            raise RuntimeError("the platform did not start in time:\n" + self.tail())
        if not self.token:
            raise RuntimeError("no API token was printed on the first run:\n" + self.tail())

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = TOKEN_RE.search(line)
            if match:
                self.token = match.group(1)
            if "Spark is running on" in line or "did not" in line or "stopping" in line:
                self.ready.set()
        self.ready.set()

    def tail(self, n: int = 30) -> str:
        # The first-run banner's password and token stay out of the report.
        hidden = ("API token", "password")
        return "\n".join(line for line in self.lines[-n:] if not any(h in line for h in hidden))

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # run_platform stops the stand-in and Daphne itself
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this script started
            proc.wait(timeout=5)


def call(base: str, method: str, path: str, token: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)  # noqa: S310
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback only
            status, raw = resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read().decode()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


class Check(Exception):
    """A failed expectation of one step."""


def expect(condition: bool, detail: str) -> None:
    if not condition:
        raise Check(detail)


def steps(base: str, token: str, var_dir: str):
    """Yield (title, function) pairs; each function returns a detail or raises Check."""
    state: dict = {}

    def get(path):
        return call(base, "GET", path, token)

    def post(path, body):
        return call(base, "POST", path, token, body)

    def health():
        status, body = get("/health")
        expect(status == 200 and body.get("status") == "ok", f"{status} {body}")
        return f"db {body['db']}, channel layer {body['channel_layer']}"

    def metrics():
        status, text = get("/metrics")
        names = {line.split("{")[0].split(" ")[0] for line in str(text).splitlines()}
        spark = sorted(n for n in names if n.startswith("spark_"))
        expect(status == 200 and spark, f"{status}, no spark_* metric")
        return f"{len(spark)} spark_* series names"

    def futures_health():
        status, body = get("/futures/health")
        expect(status == 200 and body.get("status") == "ok", f"{status} {body}")
        return f"environment {body['environment']}, dry-run default {body['dryRunDefault']}"

    def ws_start():
        status, body = post("/futures/ws.start", {"symbols": ["BTCUSDT", "ETHUSDT"]})
        expect(status == 200 and body.get("running") is True, f"{status} {body}")
        return "running: " + ", ".join(body["symbols"])

    def dry_run_order():
        order = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.008"}
        status, body = post("/futures/order.place", order)
        expect(status == 200 and body.get("dryRun") is True, f"{status} {body}")
        expect(body.get("executed") == "simulated", f"executed={body.get('executed')}")
        return f"{body['order']['clientOrderId']} {body['order']['status']} (simulated)"

    def risk_status():
        status, body = get("/futures/risk/status")
        expect(status == 200 and "circuitBreaker" in body, f"{status} {body}")
        expect(body["circuitBreaker"]["state"] == "closed", f"breaker {body['circuitBreaker']}")
        return (
            f"breaker closed, max notional {body['limits']['maxNotionalUsd']} USD, "
            f"loss budget {body['today']['remainingLossBudget']} USD"
        )

    def canary_run():
        status, body = post("/canary/run", {})
        expect(status == 200, f"{status} {body}")
        run = body["run"]
        expect(run["status"] == "SIMULATED", f"status {run['status']}: {run}")
        state["run_id"] = run["id"]
        return f"run {run['id']} SIMULATED on {run['environment']}"

    def canary_confirm():
        expect("run_id" in state, "no canary run to confirm")
        status, body = post("/canary/confirm", {"runId": state["run_id"]})
        expect(status == 200 and body["run"]["status"] == "CONFIRMED", f"{status} {body}")
        return f"run {state['run_id']} CONFIRMED on the stand-in"

    def canary_evidence():
        expect("run_id" in state, "no canary run")
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        env["SPARK_VAR_DIR"] = var_dir
        done = subprocess.run(
            [PY, "manage.py", "verify_canary_evidence"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        out = (done.stdout + done.stderr).strip().splitlines()
        expect(done.returncode == 0, "\n".join(out[-5:]))
        return out[-1] if out else "evidence chain intact"

    def copilot_chat():
        status, body = post("/ai/chat", {"prompt": "dry-run emir"})
        expect(status == 200 and body.get("intent") == "order.place", f"{status} {body}")
        expect(body["action"]["body"].get("dryRun") is True, f"action {body['action']}")
        return f"intent {body['intent']} → {body['action']['method']} {body['action']['path']}"

    def portfolio():
        status, body = get("/api/portfolio")
        expect(status == 200 and "total_usd" in body, f"{status} {body}")
        return f"total {body['total_usd']} USD over {len(body['exchanges'])} exchanges"

    def positions():
        status, body = get("/positions")
        expect(status == 200 and isinstance(body.get("positions"), list), f"{status} {body}")
        return f"{len(body['positions'])} positions"

    def ws_stop():
        status, body = post("/futures/ws.stop", {})
        expect(status == 200 and body.get("running") is False, f"{status} {body}")
        return "streams stopped"

    return [
        ("GET /health", health),
        ("GET /metrics has spark_* metrics", metrics),
        ("GET /futures/health", futures_health),
        ("POST /futures/ws.start", ws_start),
        ("POST /futures/order.place (dry-run)", dry_run_order),
        ("GET /futures/risk/status", risk_status),
        ("POST /canary/run", canary_run),
        ("POST /canary/confirm (stand-in)", canary_confirm),
        ("manage.py verify_canary_evidence", canary_evidence),
        ("POST /ai/chat", copilot_chat),
        ("GET /api/portfolio", portfolio),
        ("GET /positions", positions),
        ("POST /futures/ws.stop", ws_stop),
    ]


def main() -> int:
    started = time.monotonic()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="spark-smoke-") as var_dir:
        platform = Platform(var_dir)
        print(f"Starting Spark on :{platform.port} (stand-in :{platform.sim_port}) ...", flush=True)
        try:
            try:
                platform.start()
            except RuntimeError as exc:
                print(f"✗ start: {exc}", flush=True)
                return 1
            print(f"✓ start: {platform.url}, first-run token read", flush=True)
            for title, step in steps(platform.url, platform.token, var_dir):
                try:
                    detail = step()
                    print(f"✓ {title}: {detail}", flush=True)
                except Exception as exc:  # noqa: BLE001 - every failure is a reported step
                    failures += 1
                    print(f"✗ {title}: {type(exc).__name__}: {exc}", flush=True)
        finally:
            platform.stop()
        if failures:
            print("--- platform output (tail) ---\n" + platform.tail(), flush=True)
    took = time.monotonic() - started
    verdict = "PASSED" if not failures else f"FAILED ({failures} steps)"
    print(f"Smoke test {verdict} in {took:.1f} s.", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
