"""Views for tests/spark_site/test_http_handler.py: one that waits, one that streams."""

from __future__ import annotations

import threading

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

entered = threading.Event()
release = threading.Event()
stream_closed = threading.Event()


def slow(request):
    entered.set()
    release.wait(10)
    return HttpResponse("slow done")


def fast(request):
    return HttpResponse("fast done")


def stream(request):
    def parts():
        try:
            yield from (b"one,", b"two,", b"three")
        finally:
            stream_closed.set()

    return StreamingHttpResponse(parts(), content_type="text/plain")


# Under /api/: machine paths, outside the page access rule (spark_site/access.py).
urlpatterns = [path("api/slow/", slow), path("api/fast/", fast), path("api/stream/", stream)]
