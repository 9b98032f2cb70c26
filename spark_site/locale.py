"""The one language rule of the site: Turkish unless the user picked English.

A browser's Accept-Language is not a choice the user made (headless Chromium started with
`--lang=en` sends "en" on every request), so pages and the API calls of a browser session are
Turkish until the user picks a language with the switch; the pick is kept in the session, in the
language cookie (it survives logout) and, for a logged-in user, on the user (it follows them to
another browser). Only a machine client (no session cookie, e.g. a Bearer token) may choose with
Accept-Language, since it has no switch to pick with.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from accounts.models import LanguagePreference

SESSION_KEY = "spark_language"
DEFAULT = "tr"


def supported(code: str | None) -> str | None:
    """The site language for code ('en-US' → 'en'), or None when the site has no such language."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in dict(settings.LANGUAGES) else None


def picked_language(request: HttpRequest) -> str | None:
    """The language the user picked (session, then their stored preference, then cookie)."""
    session = getattr(request, "session", None)
    if session is not None and (code := supported(session.get(SESSION_KEY))):
        return code
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        pref = LanguagePreference.objects.filter(user=user).values_list("language", flat=True)
        if code := supported(next(iter(pref), None)):
            if session is not None:
                session[SESSION_KEY] = code  # once per session: later requests need no query
            return code
    return supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def request_language(request: HttpRequest) -> str:
    """The language a request is answered in (the rule in the module docstring)."""
    if code := picked_language(request):
        return code
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        for part in request.META.get("HTTP_ACCEPT_LANGUAGE", "").split(","):
            if code := supported(part.split(";")[0]):
                return code
    return DEFAULT


def remember_language(request: HttpRequest, response: HttpResponse, code: str) -> None:
    """Keep the user's pick in the session, the cookie and (logged in) on the user."""
    request.session[SESSION_KEY] = code
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
    )
    if request.user.is_authenticated:
        LanguagePreference.objects.update_or_create(user=request.user, defaults={"language": code})


class LanguageMiddleware:
    """Activate the request's language (after sessions and authentication); replaces Django's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = request_language(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", code)
        return response


def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch (POST language, next): remember the pick and go back."""
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect
    from django.utils.http import url_has_allowed_host_and_scheme

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if code := supported(request.POST.get("language")):
        remember_language(request, response, code)
    return response
