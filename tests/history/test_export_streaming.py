"""Exports stream through Spark's own HTTP handler: no row cap, part by part, a few parts ahead.

Driven over ASGI messages into spark_site.http_handler.OneHopASGIHandler (the handler Daphne
runs), so the file is read in a worker thread and sent from the event loop as in production.
"""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from audit.models import AuditEntry
from futures.models import Order
from history import exports
from spark_site.http_handler import OneHopASGIHandler, _Pump
from tests.history.conftest import at
from tests.support.asgi import asgi_request

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),
    pytest.mark.backends,
]

OLD_CAP = 100_000  # exports were refused above this many rows
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def handler():
    handler = OneHopASGIHandler(threads=2)
    yield handler
    # Each worker thread keeps its database connection (CONN_MAX_AGE): close both, so the
    # test database can be dropped.
    meet = threading.Barrier(2)

    def close() -> None:
        meet.wait(10)
        connections.close_all()

    for done in [handler.executor.submit(close) for _ in range(2)]:
        done.result()
    handler.executor.shutdown(wait=True)


def _orders(user, n: int) -> None:
    """n filled BTCUSDT orders, h-000000 … (one created_at: the export sorts by id then)."""
    batch = 5000
    for start in range(0, n, batch):
        Order.objects.bulk_create(
            Order(
                client_order_id=f"h-{i:06d}",
                exchange_order_id=i + 1,
                environment="sim",
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                time_in_force="GTC",
                quantity=Decimal("0.010"),
                price=Decimal("95000.5"),
                status="FILLED",
                filled_qty=Decimal("0.010"),
                avg_price=Decimal("95000.5"),
                dry_run=False,
                user=user,
            )
            for i in range(start, min(n, start + batch))
        )
    Order.objects.update(created_at=at(3, 9))


async def test_an_export_of_more_rows_than_the_old_cap_is_whole_and_streamed(
    handler, alice, bob, token_for
):
    n = OLD_CAP + 1
    await sync_to_async(_orders)(alice, n)
    token = await sync_to_async(token_for)(bob)
    answer = await asgi_request(
        handler,
        "/api/history/orders.csv?format=excel",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer["status"] == 200, answer["body"][:400]
    assert answer["headers"][b"Content-Type"] == b"text/csv; charset=utf-8"
    assert answer["headers"][b"Content-Disposition"].startswith(b"attachment; filename=")
    parts = [p for p in answer["parts"] if p]
    assert len(parts) > n // exports.CHUNK_ROWS  # part by part, not one body
    assert max(len(p) for p in parts) < 300_000  # no part near the file's size
    raw = answer["body"]
    assert raw.startswith(BOM) and not raw[3:].startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == n  # every row: no cap
    header = ["createdAt (Europe/Istanbul)", "clientOrderId", "orderId", "symbol"]
    assert list(rows[0])[:4] == header
    ids = {r["clientOrderId"] for r in rows}
    assert len(ids) == n and "h-000000" in ids and f"h-{n - 1:06d}" in ids
    first = rows[0]
    assert (first["quantity"], first["price"]) == ("0,01", "95000,5")  # decimal comma kept
    assert first["createdAt (Europe/Istanbul)"] == "2026-11-03 12:00:00"
    assert await sync_to_async(AuditEntry.objects.filter(action="history.export").count)() == 1


async def test_the_audit_csv_streams_with_its_columns(handler, olga, token_for):
    def seed():
        AuditEntry.objects.bulk_create(
            AuditEntry(actor_name="olga", action="x.y", target=f"t{i}", outcome="ok")
            for i in range(2500)
        )

    await sync_to_async(seed)()
    token = await sync_to_async(token_for)(olga)
    answer = await asgi_request(
        handler, "/api/history/audit.csv", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer["status"] == 200
    assert not answer["body"].startswith(BOM)  # plain CSV: no BOM
    rows = list(csv.DictReader(io.StringIO(answer["body"].decode(), newline="")))
    assert list(rows[0]) == [
        "createdAt (UTC)", "actor", "action", "target", "outcome", "clientIp", "payload",
    ]  # fmt: skip
    assert sum(1 for r in rows if r["action"] == "x.y") == 2500
    assert len([p for p in answer["parts"] if p]) >= 3


async def test_a_slow_client_holds_the_reader_a_few_parts_ahead(handler, alice, bob, token_for):
    """The file is read as it is sent: while the client takes nothing, the reader waits."""
    await sync_to_async(_orders)(alice, 20 * exports.CHUNK_ROWS)
    token = await sync_to_async(token_for)(bob)
    made = 0
    real_stream = exports.stream

    def counting(*args, **kwargs):
        nonlocal made
        for part in real_stream(*args, **kwargs):
            made += 1
            yield part

    sent = 0
    gate = asyncio.Event()
    ahead = []

    async def slow_client(message):
        nonlocal sent
        if message["type"] == "http.response.body" and message.get("body"):
            sent += 1
            if sent == 2:
                await asyncio.sleep(0.5)  # the reader gets every chance to run ahead
                ahead.append(made - sent)
                gate.set()

    exports.stream = counting
    try:
        answer = await asgi_request(
            handler,
            "/api/history/orders.csv",
            headers={"Authorization": f"Bearer {token}"},
            send_hook=slow_client,
        )
    finally:
        exports.stream = real_stream
    assert gate.is_set()
    # Made but not sent: the queue's parts, the one being put and the one being sent at most.
    assert ahead[0] <= _Pump.AHEAD + 2
    assert made == 21  # the header part and 20 parts of rows: the whole file in the end
    assert answer["body"].count(b"\r\n") == 20 * exports.CHUNK_ROWS + 1


async def test_a_client_gone_mid_file_stops_the_reader_and_closes_the_answer(
    handler, alice, bob, token_for
):
    """Daphne cancels the request of a client that went away: the reader stops where it is
    (a few parts ahead at most) and the response is closed once (request_finished)."""
    from django.core.signals import request_finished

    await sync_to_async(_orders)(alice, 20 * exports.CHUNK_ROWS)
    token = await sync_to_async(token_for)(bob)
    made = 0
    real_stream = exports.stream

    def counting(*args, **kwargs):
        nonlocal made
        for part in real_stream(*args, **kwargs):
            made += 1
            yield part

    two_sent = asyncio.Event()
    sent = 0

    async def client(message):
        nonlocal sent
        if message["type"] == "http.response.body" and message.get("body"):
            sent += 1
            if sent == 2:
                two_sent.set()
                await asyncio.sleep(3600)  # gone: nothing more is taken

    finished = []

    def on_finished(**kwargs):
        finished.append(kwargs)

    exports.stream = counting
    request_finished.connect(on_finished)
    try:
        request = asyncio.create_task(
            asgi_request(
                handler,
                "/api/history/orders.csv",
                headers={"Authorization": f"Bearer {token}"},
                send_hook=client,
            )
        )
        await asyncio.wait_for(two_sent.wait(), 60)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        # The reader thread notices at its next part and closes the answer.
        for _ in range(200):
            if finished:
                break
            await asyncio.sleep(0.05)
    finally:
        request_finished.disconnect(on_finished)
        exports.stream = real_stream
    assert len(finished) == 1
    assert made <= 2 + _Pump.AHEAD + 2 < 21  # stopped: never read the whole file
