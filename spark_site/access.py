"""The one access rule of server-rendered pages: a logged-in user with at least the viewer role.

Anonymous visitors are sent to the login page; a logged-in user without the viewer role gets a
403 page (the refusal audited through accounts.permissions.require). SPARK_PUBLIC_READS opens the
read API only, never pages. The API paths keep their own rule (spark_site/api.py auth).
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import require
from spark_site.errors import PermissionDenied
from spark_site.middleware import is_api_path

VIEW_PERMISSION = "accounts.view_platform"

# Pages anyone may open: the way in, the language switch, static files, the admin (which has its
# own login and staff check) and the API reference (no account data, the schema is public).
PUBLIC_PREFIXES = ("/login/", "/logout/", "/i18n/", "/static/", "/admin/", "/api/docs")


def is_public_page(path: str) -> bool:
    """True for pages that need no login (the list above)."""
    return path.startswith(PUBLIC_PREFIXES)


def page_refusal(request: HttpRequest) -> HttpResponse | None:
    """None when request may see the page at its path; else the redirect or the 403 page."""
    path = request.path
    if is_api_path(path) or is_public_page(path):
        return None
    if not request.user.is_authenticated:
        # Not audited: anyone on the network could fill the audit log with anonymous visits.
        return redirect_to_login(request.get_full_path())
    try:
        require(request.user, VIEW_PERMISSION, action="page.view", target=path)
    except PermissionDenied:
        return render(request, "error.html", {"status": 403}, status=403)
    return None


class PageAccessMiddleware:
    """Apply page_refusal to every request before its view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return page_refusal(request) or self.get_response(request)
