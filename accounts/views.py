"""Login and logout pages, behind the one per-IP login throttle (accounts.ratelimit)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.ratelimit import login_blocked
from audit.models import AuditEntry
from audit.services import record
from spark_site.middleware import client_ip


def _blocked_answer(request) -> HttpResponse:
    """429 with the login page saying why; the refusal is audited."""
    record(
        actor=None,
        action="auth.login",
        target=request.POST.get("username", "")[:150],
        payload={"reason": "rate_limited", "path": request.path},
        outcome=AuditEntry.Outcome.DENIED,
    )
    response = render(
        request,
        "accounts/login.html",
        {"blocked": True, "message": _("Too many login attempts. Wait a minute and try again.")},
        status=429,
    )
    response["Retry-After"] = "60"
    return response


def login_throttled(view):
    """Answer 429 to a login POST from a blocked IP before any password is checked.

    The counting is in accounts.backends.ThrottledPasswordBackend, shared by every login path;
    this only turns a block into a clear answer instead of "wrong password".
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and login_blocked(client_ip(request)):
            return _blocked_answer(request)
        return view(request, *args, **kwargs)

    return wrapped


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # The form is only offered when the throttle can be read: a blocked IP is told now, and
        # an unreachable throttle store answers 503 (spark_site/degraded.py), not a blind form.
        context = super().get_context_data(**kwargs)
        if self.request.method == "GET" and login_blocked(client_ip(self.request)):
            context["blocked"] = True
            context["message"] = _("Too many login attempts. Wait a minute and try again.")
        return context

    def post(self, request, *args, **kwargs):
        return login_throttled(super().post)(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass
