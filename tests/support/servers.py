"""Real servers for tests: Daphne serving Spark in a subprocess, sharing the test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the test database pytest-django created, for a server subprocess."""
    from django.db import connection

    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    user = conf.get("USER") or "postgres"
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{conf['NAME']}"


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 600:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds}s: {last}")


class DaphneServer:
    """Spark under a real Daphne process; env holds setting overrides. root is the source tree
    it serves (this one by default; the order-path baseline bench serves an older commit's)."""

    def __init__(self, env: dict[str, str] | None = None, *, root: Path | None = None):
        self.root = Path(root) if root else ROOT
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        from django.conf import settings

        self.env = dict(os.environ)
        self.env.update(
            {
                "DATABASE_URL": test_database_url(),
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                # The test process's key, so sessions planted by tests are valid in the server.
                "SPARK_SECRET_KEY": settings.SECRET_KEY,
                "SPARK_RECONCILE_ON_START": "false",
                "SPARK_STREAMS_EMBEDDED": "false",
                # No background snapshots: tests count rows and exchange calls.
                "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS": "0",
            }
        )
        self.env.update(env or {})
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the process
            prefix="daphne-", suffix=".log", delete=False
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> DaphneServer:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                # Open sockets get 2 s to close at stop, not Daphne's default 10 s.
                "--application-close-timeout",
                "2",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "spark_site.asgi:application",
            ],
            cwd=self.root,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(self.url + "/health", 45)
        except RuntimeError:
            self.stop()
            raise RuntimeError("Daphne did not start:\n" + self.output()) from None
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    # Daphne closes its sockets within --application-close-timeout (2 s) of SIGINT; after that
    # its exit may still wait on worker threads finishing background work. In a full suite run
    # nearly every stop waited out the old 10 s limit (some 45 servers: 7 minutes of teardown),
    # though no test reads anything from that tail.
    STOP_GRACE_SECONDS = 4

    def stop(self) -> None:
        """SIGINT as Ctrl-C would; SIGKILL if still running STOP_GRACE_SECONDS later."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=self.STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def spark_with_streams(daphne, sim) -> DaphneServer:
    """Spark under Daphne (the `daphne` fixture) on the stand-in, with the embedded market and
    user streams of BTCUSDT and ETHUSDT running, as the live pages need."""
    return daphne(
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT",
        SPARK_LISTEN_KEY_KEEPALIVE_SECONDS="60",
        **sim.spark_env(),
    )
