"""The profile page: link a Telegram chat with a one-time code, choose events per channel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import services
from notifications.models import Channel, Preference, TelegramLink
from notifications.rules import CHANNEL_LABELS, KIND_LABELS, kinds_for
from spark_site.errors import DomainError


@login_required
def profile(request):
    user = request.user
    prefs = {p.channel: p for p in Preference.objects.filter(user=user)}
    allowed = kinds_for(user)
    channels = []
    for value in Channel.values:
        pref = prefs.get(value)
        channels.append(
            {
                "value": value,
                "label": CHANNEL_LABELS[value],
                "pref": pref,
                "kinds": [
                    {"value": k, "label": KIND_LABELS[k], "on": bool(pref and k in pref.kinds)}
                    for k in allowed
                ],
            }
        )
    context = {
        "link": TelegramLink.objects.filter(user=user).first(),
        "code": request.session.pop("telegram_link_code", None),
        "channels": channels,
        "summary_at": services.summary_time_of(user),
    }
    return render(request, "notifications/profile.html", context)


@login_required
@require_POST
def link_code(request):
    code, row = services.link_code_create(user=request.user)
    # Shown once, on the next page view; only its hash is stored.
    request.session["telegram_link_code"] = {"code": code, "expires": row.expires_at.isoformat()}
    return redirect("profile")


@login_required
@require_POST
def unlink(request):
    services.link_remove(user=request.user)
    messages.info(request, _("Telegram chat unlinked."))
    return redirect("profile")


@login_required
@require_POST
def preferences(request):
    channel = request.POST.get("channel", "")
    try:
        services.preference_set(
            user=request.user,
            channel=channel,
            kinds=request.POST.getlist("kinds"),
            enabled=request.POST.get("enabled") == "on",
            language=request.POST.get("language", "tr"),
            url=request.POST.get("url", "").strip(),
        )
        messages.success(request, _("Notification preferences saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("profile")


@login_required
@require_POST
def summary_time(request):
    try:
        services.summary_time_set(user=request.user, at=request.POST.get("at", ""))
        messages.success(request, _("Daily summary time saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("profile")
