"""Spark's HTTP handler (spark_site/http_handler.py): one worker-thread hop per request.

Driven in-process over ASGI messages, as Daphne drives it; every request of the suite that
goes through a real Daphne goes through it too.
"""

from __future__ import annotations

import asyncio

import pytest
from django.core.signals import request_finished

from spark_site.http_handler import OneHopASGIHandler
from tests.spark_site import handler_urls as views
from tests.support.asgi import asgi_request as call

pytestmark = [pytest.mark.timeout(60), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = "tests.spark_site.handler_urls"
    for event in (views.entered, views.release, views.stream_closed):
        event.clear()
    handler = OneHopASGIHandler(threads=2)
    yield handler
    views.release.set()
    handler.executor.shutdown(wait=True)


async def test_a_request_waiting_in_its_view_does_not_hold_up_the_next(handler):
    slow = asyncio.create_task(call(handler, "/api/slow/"))
    assert await asyncio.to_thread(views.entered.wait, 10)
    fast = await call(handler, "/api/fast/")
    assert (fast["status"], fast["body"]) == (200, b"fast done")
    assert not slow.done()  # still waiting in its own worker thread
    views.release.set()
    done = await slow
    assert (done["status"], done["body"]) == (200, b"slow done")


# Django warns that it consumes a sync iterator from a thread; that is the case under test.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_a_streamed_answer_arrives_whole_and_is_closed_after_sending(handler):
    finished = []

    def on_finished(**kwargs):
        finished.append(kwargs)

    request_finished.connect(on_finished)
    try:
        answer = await call(handler, "/api/stream/")
    finally:
        request_finished.disconnect(on_finished)
    assert answer["status"] == 200
    assert answer["body"] == b"one,two,three"
    assert len([p for p in answer["parts"] if p]) == 3  # sent part by part, not buffered
    assert views.stream_closed.is_set()
    assert len(finished) == 1  # request_finished once: database connections released


async def test_a_client_gone_before_its_body_arrived_gets_nothing_and_runs_nothing(handler):
    answer = await call(handler, "/api/slow/", body=b"x", disconnect=True)
    assert answer["status"] is None and answer["parts"] == []
    assert not views.entered.is_set()


async def test_api_errors_keep_the_json_shape_through_the_handler(settings):
    handler = OneHopASGIHandler(threads=1)
    try:
        answer = await call(handler, "/api/tokens", body=b"{not json")
    finally:
        handler.executor.shutdown(wait=True)
    assert answer["status"] == 401
    assert answer["headers"][b"Content-Type"].startswith(b"application/json")
    assert b'"NOT_AUTHENTICATED"' in answer["body"]
