"""Site-wide error pages: JSON on API paths, a page in the site's style elsewhere."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from spark_site.degraded import degraded_response, is_redis_down
from spark_site.errors import error_response
from spark_site.middleware import is_api_path


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(404, "NOT_FOUND", "No such endpoint.", {"path": request.path})
    return render(request, "error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called inside the except block: a Redis outage raised by a middleware is a 503 too.
    exc = sys.exc_info()[1]
    if is_redis_down(exc):
        return degraded_response(request, exc)
    if is_api_path(request.path):
        return error_response(500, "INTERNAL_ERROR", "Internal error. The incident is logged.")
    return render(request, "error.html", {"status": 500}, status=500)
