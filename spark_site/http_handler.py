"""Serve Django's HTTP requests under Daphne: one hop to a pooled worker thread per request.

Django's stock ASGIHandler runs every async-capable middleware on the event loop and hops to
a worker thread for each one's process_request/process_response, then again for each sync
middleware and for the view: about twenty hops for one Spark request. It also serves each
request in a thread of its own, so no database connection outlives its request. Spark's
middleware and views are all sync, so this handler reads the body on the event loop, runs
Django's *sync* handler chain (request_started, middleware, view, request_finished) in one
hop to a fixed pool of SPARK_HTTP_THREADS threads, and sends the finished response from the
event loop. The pool's threads keep their database connections for CONN_MAX_AGE, as under a
WSGI server, and `request_started`/`request_finished` close any that are too old or broken.
`async_to_sync` in a view still reaches the server's event loop (channel-layer sends).

A streamed answer with a sync iterator (a CSV export, a file) would be read whole into a list
by Django before its first byte is sent. Here one worker thread reads it part by part instead
and hands each part to the event loop through a small queue: the server holds a few parts at a
time whatever the size, a slow client slows the reader, and the iterator's database cursor is
used, and the response closed, in that one thread. The thread is held until the answer is sent.
Figures: bench/bench_server_floor.py and bench/bench_order_path.py.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler with the sync middleware chain run in one pooled-thread hop."""

    def __init__(self, threads: int | None = None):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(
            threads or settings.SPARK_HTTP_THREADS, thread_name_prefix="spark-http"
        )
        self._serve = sync_to_async(self.serve, thread_sensitive=False, executor=self.executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves only HTTP here, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            set_script_prefix(get_script_prefix(scope))
            response = await self._serve(scope, body_file)
            pump = None
            if response.streaming and not response.is_async:
                pump = _Pump(response, self.executor)
                response.streaming_content = pump.parts()
            try:
                # A client gone by now is fine: Daphne drops replies to closed connections.
                await self.send_response(response, send)
            finally:
                if pump is not None and pump.started:
                    # A client gone mid-answer (Daphne cancels this task) leaves Django's
                    # async iterators unclosed: stop the reader here, not at their finalisation.
                    pump.halt()
                    await pump.finished()  # the pump thread closed the response
                elif response.streaming:
                    close = sync_to_async(
                        response.close, thread_sensitive=False, executor=self.executor
                    )
                    await close()
        finally:
            body_file.close()

    def serve(self, scope, body_file):
        """The whole request in a worker thread. A plain response is closed here, which sends
        request_finished (closing a database connection that is too old or broken) in the
        thread that used the connection, before the response is sent."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


class _Pump:
    """A sync streamed answer read in one worker thread, AHEAD parts at most waiting to be sent.

    The thread closes the response when the parts end or the sender stops (request_finished in
    the thread whose database connection the iterator used)."""

    AHEAD = 4

    def __init__(self, response, executor: ThreadPoolExecutor):
        self.response = response
        self.source = response.streaming_content  # the sync iterator of bytes
        self.executor = executor
        self.started = False
        self.stop = threading.Event()
        self.future: asyncio.Future | None = None
        self.queue: asyncio.Queue | None = None

    def _run(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        end: object = _END
        try:
            for part in self.source:
                asyncio.run_coroutine_threadsafe(queue.put(part), loop).result()
                if self.stop.is_set():
                    return
        except BaseException as exc:  # handed to the sender, which raises it
            end = exc
        finally:
            self.response.close()
            if not self.stop.is_set():
                asyncio.run_coroutine_threadsafe(queue.put(end), loop).result()

    async def parts(self):
        loop = asyncio.get_running_loop()
        self.queue = queue = asyncio.Queue(maxsize=self.AHEAD)
        self.started = True
        self.future = loop.run_in_executor(self.executor, self._run, loop, queue)
        try:
            while True:
                part = await queue.get()
                if part is _END:
                    return
                if isinstance(part, BaseException):
                    raise part
                yield part
        finally:
            self.halt()

    def halt(self) -> None:
        """Stop the reader: it ends at its next part (on the event loop's thread)."""
        self.stop.set()
        while self.queue is not None and not self.queue.empty():  # free a waiting put
            self.queue.get_nowait()

    async def finished(self) -> None:
        if self.future is not None:
            await self.future


_END = object()
