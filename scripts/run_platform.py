"""Start the whole platform on the embedded defaults; Ctrl-C stops everything it started.

Processes: the local exchange stand-in (simexchange) and Daphne serving Spark (with the stream
supervisor and the notification worker inside it; `manage.py run_notifier` is the scale-out
alternative). Run through `make run`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def wait_http(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status < 500:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def main() -> int:
    port = os.environ.get("PORT", "8000")
    sim_port = os.environ.get("SIM_PORT", "8765")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    (ROOT / "var").mkdir(exist_ok=True)
    procs: list[subprocess.Popen] = []
    sim_env = dict(env)
    sim_env.setdefault("SIM_API_KEYS", "spark-demo-key:spark-demo-secret-0000000000000000")
    sim_env.setdefault(
        "SIM_BTCTURK_KEYS", "spark-demo-btcturk:c3BhcmstZGVtby1idGN0dXJrLXNlY3JldA=="
    )
    sim_env.setdefault("SIM_STATE_FILE", str(ROOT / "var" / "sim-state.json"))
    uses_sim = (
        "BINANCE_FUTURES_BASE_URL" not in env and env.get("BINANCE_FUTURES_ENV", "sim") == "sim"
    )
    if uses_sim:
        env["BINANCE_FUTURES_BASE_URL"] = f"http://127.0.0.1:{sim_port}"
        env["BINANCE_FUTURES_WS_URL"] = f"ws://127.0.0.1:{sim_port}"

    def stop(*_args) -> None:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        print("\nSpark stopped.", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "bootstrap_local"], cwd=ROOT, env=env, check=True)
    if uses_sim:
        procs.append(
            subprocess.Popen([PY, "-m", "simexchange", "--port", sim_port], cwd=ROOT, env=sim_env)
        )
        if not wait_http(f"http://127.0.0.1:{sim_port}/fapi/v1/ping", 30):
            print("The exchange stand-in did not start.", file=sys.stderr)
            stop()
    procs.append(
        subprocess.Popen(
            [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", port, "spark_site.asgi:application"],
            cwd=ROOT,
            env=env,
        )
    )
    if not wait_http(f"http://127.0.0.1:{port}/health", 60):
        print("Spark did not become healthy.", file=sys.stderr)
        stop()
    print(f"Spark is running on http://127.0.0.1:{port}  (API docs: /api/docs)", flush=True)
    while True:
        for proc in procs:
            if proc.poll() is not None:
                print(f"A process exited ({proc.args[2]}); stopping.", file=sys.stderr)
                stop()
        time.sleep(0.5)


if __name__ == "__main__":
    raise SystemExit(main())
