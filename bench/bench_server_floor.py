"""Where the server's floor goes: Daphne alone, and Django's sync vs ASGI handlers.

The same anonymous `GET /api/me` (middleware, ninja, no query) several ways, alternating call by
call so load hits all sides alike: through Django's sync handler in-process (`django.test.Client`),
through Django's stock ASGI handler and through Spark's one-hop handler (the app Daphne runs,
spark_site/http_handler.py) in-process, driven directly, and a bare ASGI app under a real Daphne
(bench/asgi_hello.py) beside Spark under Daphne. The gap between the stock handler and the sync
handler is the stock handler's hops between the event loop and its worker threads.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5
PER_ROUND = 100


def _asgi_caller(app, path: str, statuses: list[int]):
    """An async function making one GET through the ASGI app; statuses collects the answers."""
    from tests.support.asgi import asgi_request

    async def call() -> None:
        statuses.append((await asgi_request(app, path, host="127.0.0.1"))["status"])

    return call


def _versus(fig: dict[str, float], name: str, side: str, peer_side: str, peer: str, note: str):
    """A row comparing two measured sides of fig (ms), ratio = side / peer_side."""
    return {
        "name": name,
        "figure": round(fig[side], 3),
        "unit": "ms",
        "peer": peer,
        "peer_figure": round(fig[peer_side], 3),
        "ratio": round(fig[side] / fig[peer_side], 2),
        "note": note,
    }


def _rows(fig: dict[str, float]) -> list[dict]:
    return [
        _versus(
            fig,
            "GET /api/me anonymous, Django's stock ASGI handler vs sync (in-process)",
            "stock",
            "sync",
            "django.test.Client (sync handler)",
            "same middleware and view; the gap is the stock handler's thread hops",
        ),
        _versus(
            fig,
            "GET /api/me anonymous, Spark's one-hop handler vs stock (in-process)",
            "asgi",
            "stock",
            "django.core.handlers.asgi.ASGIHandler",
            "lower is better; spark_site/http_handler.py, the app Spark's Daphne runs",
        ),
        _versus(
            fig,
            "GET /api/me anonymous under Daphne vs a bare ASGI app under Daphne",
            "spark",
            "hello",
            "bench/asgi_hello.py under Daphne",
            "the bare app is Daphne's own floor on this machine",
        ),
        {
            "name": "one sync_to_async hop (asgiref, thread_sensitive)",
            "figure": round(fig["hop"] * 1000, 1),
            "unit": "us",
            "peer": None,
            "peer_figure": None,
            "ratio": None,
            "note": "what each hop between the event loop and a worker thread costs here",
        },
    ]


def run() -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    from tests.support.servers import DaphneServer, free_port, wait_http

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DATABASE_URL": f"sqlite:///{tmp}/floor.sqlite3",
            "SPARK_SECRET_KEY": "bench-secret-key",
            "SPARK_STREAMS_EMBEDDED": "false",
            "SPARK_RECONCILE_ON_START": "false",
            "SPARK_LOG_LEVEL": "WARNING",
            "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS": "0",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.handlers.asgi import ASGIHandler
        from django.core.management import call_command
        from django.test import Client

        from spark_site.asgi import django_http

        call_command("migrate", "--noinput", verbosity=0)
        server = DaphneServer(env).start()
        port = free_port()
        hello = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["bench.asgi_hello:app"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/", 30)
            client = Client(HTTP_HOST="127.0.0.1")
            apps = {"asgi": django_http, "stock": ASGIHandler()}
            return _rows(asyncio.run(_measure(server.url, port, apps, client)))
        finally:
            hello.terminate()
            hello.wait(10)
            server.stop()


async def _measure(spark_url: str, hello_port: int, apps: dict, client) -> dict[str, float]:
    from asgiref.sync import sync_to_async

    web = requests.Session()
    web.trust_env = False
    statuses: list[int] = []
    nothing = sync_to_async(lambda: None, thread_sensitive=True)

    async def spark():
        await asyncio.to_thread(web.get, spark_url + "/api/me", timeout=30)

    async def hello():
        await asyncio.to_thread(web.get, f"http://127.0.0.1:{hello_port}/", timeout=30)

    sides = {name: _asgi_caller(app, "/api/me", statuses) for name, app in apps.items()}
    sides.update(spark=spark, hello=hello, hop=nothing)
    for fn in sides.values():
        for _ in range(10):
            await fn()
    # the sync handler is timed inside its thread: no hop counted against it
    sync_times = await sync_to_async(_time_sync, thread_sensitive=True)(client)
    medians: dict[str, list[float]] = {k: [] for k in sides}
    for _ in range(ROUNDS):
        times: dict[str, list[float]] = {k: [] for k in sides}
        for _ in range(PER_ROUND):
            for name, fn in sides.items():
                t0 = time.perf_counter()
                await fn()
                times[name].append((time.perf_counter() - t0) * 1000)
        for name in sides:
            medians[name].append(statistics.median(times[name]))
    if set(statuses) != {200}:
        raise RuntimeError(f"ASGI GET /api/me answered {set(statuses)}")
    fig = {k: statistics.median(v) for k, v in medians.items()}
    fig["sync"] = sync_times
    return fig


def _time_sync(client) -> float:
    medians = []
    for _ in range(ROUNDS):
        times = []
        for _ in range(PER_ROUND):
            t0 = time.perf_counter()
            r = client.get("/api/me")
            times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"sync GET /api/me answered {r.status_code}")
        medians.append(statistics.median(times))
    return statistics.median(medians)
