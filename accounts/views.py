"""Login and logout pages, with failed attempts rate-limited per client IP."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.ratelimit import login_blocked, note_login_attempt
from audit.models import AuditEntry
from audit.services import record
from spark_site.middleware import client_ip


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        ip = client_ip(request)
        if login_blocked(ip):
            record(
                actor=None,
                action="auth.login",
                target=request.POST.get("username", "")[:150],
                payload={"reason": "rate_limited"},
                outcome=AuditEntry.Outcome.DENIED,
            )
            response: HttpResponse = render(
                request,
                self.template_name,
                {
                    "form": self.get_form(),
                    "blocked": True,
                    "message": _("Too many login attempts. Wait a minute and try again."),
                },
                status=429,
            )
            response["Retry-After"] = "60"
            return response
        note_login_attempt(ip)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        record(actor=form.get_user(), action="auth.login", target=form.get_user().get_username())
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    pass
