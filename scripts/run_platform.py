"""Start the whole platform on the embedded defaults; Ctrl-C stops everything it started.

Processes: the local exchange stand-in (simexchange) and Daphne serving Spark (with the stream
supervisor and the notification worker inside it; `manage.py run_notifier` is the scale-out
alternative). Run through `make run`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
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


def credentials_box(url: str, creds: dict | None) -> str:
    """The last thing `make run` prints: where Spark runs and, on the first run, how to log in."""
    lines = []
    if creds:
        lines += [
            "First run: a local admin was created. Save these now; they are shown only once.",
            "",
            f"  username : {creds['username']}",
            f"  password : {creds['password']}",
            f"  API token: {creds['token']}",
            "",
            f"Log in at {url}/login/ or call the API with: Authorization: Bearer <token>",
        ]
    else:
        lines += ["Log in with the admin password saved on the first run."]
    lines += [
        "Forgot it? python manage.py changepassword admin (or any user in /admin/).",
        "",
        f"Spark is running on {url}  (API docs: /api/docs)",
    ]
    width = max(len(line) for line in lines) + 2
    return "\n".join(
        ["", "╔" + "═" * width + "╗"]
        + [f"║ {line.ljust(width - 2)} ║" for line in lines]
        + ["╚" + "═" * width + "╝"]
    )


def read_credentials(path: Path) -> dict | None:
    """The first run's credentials written by bootstrap_local, then delete the file."""
    try:
        text = path.read_text()
    except OSError:
        return None
    finally:
        path.unlink(missing_ok=True)
    return json.loads(text) if text else None


def main() -> int:
    port = os.environ.get("PORT", "8000")
    sim_port = os.environ.get("SIM_PORT", "8765")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    var_dir = Path(env.get("SPARK_VAR_DIR") or ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
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
    # Credentials go to a private file and are printed last, after every install/start line.
    fd, name = tempfile.mkstemp(prefix="first-run-", dir=var_dir)
    os.close(fd)
    creds_file = Path(name)
    try:
        subprocess.run(
            [PY, "manage.py", "bootstrap_local", "--credentials-file", name],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError:
        creds_file.unlink(missing_ok=True)
        raise
    if uses_sim:
        procs.append(
            subprocess.Popen([PY, "-m", "simexchange", "--port", sim_port], cwd=ROOT, env=sim_env)
        )
        if not wait_http(f"http://127.0.0.1:{sim_port}/fapi/v1/ping", 30):
            creds_file.unlink(missing_ok=True)
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
        creds_file.unlink(missing_ok=True)
        print("Spark did not become healthy.", file=sys.stderr)
        stop()
    print(credentials_box(f"http://127.0.0.1:{port}", read_credentials(creds_file)), flush=True)
    while True:
        for proc in procs:
            if proc.poll() is not None:
                print(f"A process exited ({proc.args[2]}); stopping.", file=sys.stderr)
                stop()
        time.sleep(0.5)


if __name__ == "__main__":
    raise SystemExit(main())
