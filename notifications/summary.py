"""The daily summary: written once per user and Istanbul day, at the time the user chose.

notifications may not import futures or risk (they import it), so the figures come from a
provider those apps register at start-up (futures.summary), as risk's providers do.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from notifications.models import Channel, Event, Kind, Preference, SummarySchedule
from notifications.services import event_emit

logger = logging.getLogger(__name__)
ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")

# (user, now) -> the summary payload; set by futures.apps at start-up.
_provider: Callable[[object, datetime], dict] | None = None


def register_summary_provider(provider: Callable[[object, datetime], dict]) -> None:
    global _provider
    _provider = provider


def subscribers():
    """Users with the daily summary chosen on at least one enabled channel."""
    prefs = Preference.objects.filter(enabled=True).select_related("user")
    users = {}
    for pref in prefs:
        wanted = Kind.DAILY_SUMMARY in pref.kinds and pref.user.is_active
        if wanted and (pref.channel != Channel.WEBHOOK or pref.url):
            users[pref.user_id] = pref.user
    return list(users.values())


def summaries_due(now: datetime | None = None) -> int:
    """Write the summaries whose Istanbul time has come today; return how many were new.

    The event's key is (user, Istanbul date): a second worker, a restart or a later pass the
    same day finds it written and adds nothing.
    """
    if _provider is None:
        return 0
    now = now or timezone.now()
    local = now.astimezone(ISTANBUL)
    written = 0
    times = dict(SummarySchedule.objects.values_list("user_id", "at"))
    for user in subscribers():
        at = times.get(user.pk) or SummarySchedule._meta.get_field("at").default
        if local.time() < at:
            continue
        key = f"daily.summary:{user.pk}:{local.date().isoformat()}"
        if Event.objects.filter(dedupe_key=key).exists():
            continue
        try:
            payload = _provider(user, now)
        except Exception:  # noqa: BLE001 - one user's figures must not stop the others
            logger.exception("daily summary of user %s failed", user.pk)
            continue
        if event_emit(kind=Kind.DAILY_SUMMARY, dedupe_key=key, owner=user, payload=payload):
            written += 1
    return written
