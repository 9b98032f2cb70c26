"""History exports streamed through Spark's HTTP handler: rows/s and peak memory vs rows.

`GET /api/history/orders.csv?format=excel` (BOM, `;`, decimal comma, Istanbul times) of 20,000
and 200,000 orders, driven over ASGI messages into spark_site.http_handler (the app Daphne runs)
with a client that counts and drops what it receives. Throughput is timed without tracing;
peak memory is tracemalloc's peak over the whole export (every thread) in a second pass. The
floor makes the same parts (the same query, iterator and CSV writer) with no HTTP;
the peer joins the whole file in memory first, as exports did before (when they were refused
above 100,000 rows). Throughput is the best of two alternating rounds (a shared machine).
Takes about five minutes, most of it under tracemalloc.

Runs in a scratch test database (SQLite by default, PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import tracemalloc
from decimal import Decimal

SIZES = (20_000, 200_000)
ROUNDS = 2
PATH = "/api/history/orders.csv"
QUERY = b"format=excel"


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return old_name


def _seed(user, upto: int, have: int) -> None:
    from futures.models import Order

    batch = 5000
    for start in range(have, upto, batch):
        Order.objects.bulk_create(
            Order(
                client_order_id=f"bench-{i:07d}",
                exchange_order_id=i + 1,
                environment="sim",
                symbol="BTCUSDT" if i % 3 else "ETHUSDT",
                side="BUY" if i % 2 else "SELL",
                type="LIMIT",
                time_in_force="GTC",
                quantity=Decimal("0.010"),
                price=Decimal("95000.5") + i % 100,
                status="FILLED",
                filled_qty=Decimal("0.010"),
                avg_price=Decimal("95000.5") + i % 100,
                dry_run=False,
                user=user,
            )
            for i in range(start, min(upto, start + batch))
        )


async def _export(handler, token: str) -> tuple[int, int]:
    """One export through the handler; (bytes, lines) received, nothing kept."""
    got = {"bytes": 0, "lines": 0, "status": None}
    scope = {
        "type": "http",
        "method": "GET",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": QUERY,
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
        "root_path": "",
    }
    sent = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if sent:
            return sent.pop()
        await asyncio.sleep(3600)

    async def send(message):
        if message["type"] == "http.response.start":
            got["status"] = message["status"]
        else:
            body = message.get("body", b"")
            got["bytes"] += len(body)
            got["lines"] += body.count(b"\r\n")

    await handler(scope, receive, send)
    assert got["status"] == 200, got
    return got["bytes"], got["lines"]


def _parts(user):
    """The export's parts as the view gets them (services.history_export), without HTTP."""
    from history import exports, services
    from history.exports import Dialect
    from history.selectors import Filters

    dialect = Dialect(exports.EXCEL, exports.COMMA)
    return services.history_export(
        user=user, dataset="orders", filters=Filters(), dialect=dialect
    ).parts


def _floor(user) -> int:
    """The same rows, iterator and CSV writer, no HTTP: bytes made, one part at a time."""
    return sum(len(part) for part in _parts(user))


def _in_memory(user) -> int:
    """The whole file joined in memory first, as exports were made before streaming."""
    return len(b"".join(_parts(user)))


def _peak(fn) -> tuple[float, object]:
    """tracemalloc's peak (MiB) while fn runs, and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, result


def _timed(fn) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run() -> list[dict]:
    old_name = _setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import ApiToken
    from accounts.roles import VIEWER, assign_role
    from spark_site.http_handler import OneHopASGIHandler

    handler = OneHopASGIHandler(threads=2)
    rows: list[dict] = []
    try:
        user = get_user_model().objects.create_user("bench-viewer", password="x" * 16)
        assign_role(user, VIEWER)
        token = ApiToken.issue(user)[1]
        have = 0
        for n in SIZES:
            _seed(user, n, have)
            have = n
            secs = floor_secs = float("inf")
            for _ in range(ROUNDS):  # alternating, best of ROUNDS: the machine is shared
                took, (size, lines) = _timed(lambda: asyncio.run(_export(handler, token)))
                assert lines == n + 1, (lines, n)
                secs = min(secs, took)
                floor_secs = min(floor_secs, _timed(lambda: _floor(user))[0])
            memory_secs, _ = _timed(lambda: _in_memory(user))
            stream_mib, _ = _peak(lambda: asyncio.run(_export(handler, token)))
            memory_mib, _ = _peak(lambda: _in_memory(user))
            rows += [
                {
                    "name": f"orders.csv (excel), {n:,} rows streamed through the handler",
                    "figure": round(n / secs),
                    "unit": "rows/s",
                    "peer": "the same parts without HTTP (floor) / joined in memory first",
                    "peer_figure": f"{round(n / floor_secs)} / {round(n / memory_secs)}",
                    "ratio": round(floor_secs / secs, 2),
                    "note": f"{size / 2**20:.1f} MiB file",
                },
                {
                    "name": f"… peak memory (tracemalloc) exporting {n:,} rows",
                    "figure": round(stream_mib, 1),
                    "unit": "MiB",
                    "peer": "the whole file built in memory first",
                    "peer_figure": round(memory_mib, 1),
                    "ratio": round(stream_mib / memory_mib, 3),
                    "note": "lower is better",
                },
            ]
    finally:
        handler.executor.shutdown(wait=True)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
