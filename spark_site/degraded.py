"""Redis down → 503 `SERVICE_DEGRADED`, in one place, for every route.

The cache (login throttle, stream status, market snapshots) and the channel layer (stream
commands) live in Redis when REDIS_URL is set. When it cannot be reached, redis-py raises
ConnectionError/TimeoutError wherever it is used; this module turns that into a 503 (the JSON
error shape on API paths, a Turkish-first page elsewhere) without a traceback, and nothing is
cached: the next request tries Redis again, so the site recovers by itself when Redis returns.
Used by the middleware below (pages), the API's exception handler (spark_site/api.py) and the
500 handler (exceptions raised inside middleware).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from spark_site.errors import error_response
from spark_site.middleware import is_api_path

logger = logging.getLogger(__name__)

# What redis-py raises when the server is down, refusing, or too slow.
REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5


def is_redis_down(exc: BaseException | None) -> bool:
    """True for redis-py's "cannot reach Redis" errors, also when wrapped by another error."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, REDIS_UNAVAILABLE):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def degraded_response(request: HttpRequest, exc: BaseException | None = None) -> HttpResponse:
    """503: JSON error shape on API paths, the degraded page elsewhere; never the cause's text."""
    logger.warning(
        "Redis unreachable while serving %s %s: %s",
        request.method,
        request.path,
        type(exc).__name__ if exc else "unknown",
    )
    if is_api_path(request.path):
        response = error_response(
            503,
            "SERVICE_DEGRADED",
            "A shared service (Redis) is unreachable; nothing was changed. Try again shortly.",
            {"retryAfterSeconds": RETRY_AFTER_SECONDS},
        )
    else:
        response = render(
            request,
            "degraded.html",
            {"status": 503, "retry_after": RETRY_AFTER_SECONDS},
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class RedisDownMiddleware:
    """Answer 503 when a view fails because Redis is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_redis_down(exception):
            return degraded_response(request, exception)
        return None
