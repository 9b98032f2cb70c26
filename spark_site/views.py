"""Site-wide error pages: JSON on API paths, a page in the site's style elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from spark_site.errors import error_response
from spark_site.middleware import is_api_path


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(404, "NOT_FOUND", "No such endpoint.", {"path": request.path})
    return render(request, "error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(500, "INTERNAL_ERROR", "Internal error. The incident is logged.")
    return render(request, "error.html", {"status": 500}, status=500)
