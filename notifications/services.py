"""Notification workflows: write an event, fan it out, link a Telegram chat, set preferences."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record
from notifications import metrics
from notifications.models import (
    Channel,
    Delivery,
    Event,
    Kind,
    LinkCode,
    Preference,
    SummarySchedule,
    TelegramLink,
)
from notifications.rules import kinds_for, may_see
from spark_site.errors import ValidationFailed

logger = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen
CODE_LENGTH = 8


def event_emit(*, kind: str, dedupe_key: str, payload: dict, owner=None) -> Event | None:
    """Write one event in the caller's transaction; a repeated dedupe_key writes nothing.

    The savepoint keeps a duplicate from breaking the caller's transaction (the change that
    caused the event must commit whether or not the event is new).
    """
    try:
        with transaction.atomic():
            event = Event.objects.create(
                kind=kind, dedupe_key=dedupe_key[:200], payload=payload, owner=owner
            )
    except IntegrityError:
        return None
    metrics.EVENTS.labels(kind=kind).inc()
    return event


def _destination(user, channel: str, pref: Preference) -> str | None:
    if channel == Channel.TELEGRAM:
        link = TelegramLink.objects.filter(user=user).first()
        return str(link.chat_id) if link else None
    if channel == Channel.WEBHOOK:
        return pref.url or None
    if channel == Channel.EMAIL:
        return user.email or None
    return None


def fan_out(limit: int = 200) -> int:
    """Turn new events into deliveries for every user who wants and may see them.

    Runs in the worker, one transaction per event; the compare-and-set on fanned_out_at makes
    two workers fanning the same event out create its deliveries once.
    """
    done = 0
    events = list(Event.objects.filter(fanned_out_at=None).order_by("id")[:limit])
    if not events:
        return 0
    prefs = list(Preference.objects.filter(enabled=True).select_related("user"))
    for event in events:
        with transaction.atomic():
            if not Event.objects.filter(pk=event.pk, fanned_out_at=None).update(
                fanned_out_at=timezone.now()
            ):
                continue  # another worker took it
            for pref in prefs:
                if event.kind not in pref.kinds or not may_see(pref.user, event):
                    continue
                destination = _destination(pref.user, pref.channel, pref)
                if destination is None:
                    continue
                Delivery.objects.get_or_create(
                    event=event,
                    user=pref.user,
                    channel=pref.channel,
                    defaults={"destination": destination},
                )
        done += 1
    return done


# ----------------------------------------------------------------------------- chat linking


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def link_code_create(*, user) -> tuple[str, LinkCode]:
    """Make a one-time code for user (any earlier unused code stops working); return it raw."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    with transaction.atomic():
        LinkCode.objects.filter(user=user, used_at=None).delete()
        row = LinkCode.objects.create(
            user=user,
            code_hash=_hash(code),
            expires_at=timezone.now()
            + timedelta(seconds=settings.SPARK_TELEGRAM_LINK_CODE_TTL_SECONDS),
        )
    record(actor=user, action="telegram.link_code", target=str(user.pk))
    return code, row


def link_consume(
    *, code: str, chat_id: int, telegram_user_id: int, username: str = ""
) -> TelegramLink | None:
    """Link chat_id to the user of a valid code; None (audited) for a wrong, used or old code."""
    now = timezone.now()
    with transaction.atomic():
        row = LinkCode.objects.select_for_update().filter(code_hash=_hash(code)).first()
        # used_at in the filter: two /start messages with one code link once.
        if (
            row is None
            or row.expires_at <= now
            or not LinkCode.objects.filter(pk=row.pk, used_at=None).update(used_at=now)
        ):
            record(
                actor=None,
                action="telegram.link",
                target=f"chat:{chat_id}",
                payload={"reason": "expired" if row is not None else "unknown_code"},
                outcome=AuditEntry.Outcome.DENIED,
            )
            return None
        user = row.user
        # A chat serves one user and a user one chat: the new link replaces older ones.
        TelegramLink.objects.filter(chat_id=chat_id).exclude(user=user).delete()
        link, _created = TelegramLink.objects.update_or_create(
            user=user,
            defaults={
                "chat_id": chat_id,
                "telegram_user_id": telegram_user_id,
                "username": username[:64],
                "linked_at": now,
            },
        )
        Preference.objects.get_or_create(
            user=user, channel=Channel.TELEGRAM, defaults={"kinds": kinds_for(user)}
        )
        record(actor=user, action="telegram.link", target=f"chat:{chat_id}")
    return link


def link_remove(*, user) -> bool:
    """Unlink the user's chat (the desk stops answering it)."""
    link = TelegramLink.objects.filter(user=user).first()
    if link is None:
        return False
    link.delete()
    record(actor=user, action="telegram.unlink", target=f"chat:{link.chat_id}")
    return True


def linked_user(chat_id: int, telegram_user_id: int | None):
    """The active user linked to chat_id when telegram_user_id is who linked it, else None."""
    link = TelegramLink.objects.select_related("user").filter(chat_id=chat_id).first()
    if link is None or link.telegram_user_id != telegram_user_id or not link.user.is_active:
        return None
    return link.user


# ------------------------------------------------------------------------------ preferences


def preference_set(
    *,
    user,
    channel: str,
    kinds: list[str],
    enabled: bool,
    language: str = "tr",
    url: str = "",
    secret: str = "",
) -> Preference:
    """Store which kinds reach user on channel; kinds the user's role may not see are refused."""
    if channel not in Channel.values:
        raise ValidationFailed("Unknown channel.", details={"channel": channel})
    allowed = set(kinds_for(user))
    unknown = [k for k in kinds if k not in Kind.values]
    refused = [k for k in kinds if k in Kind.values and k not in allowed]
    if unknown or refused:
        raise ValidationFailed(
            "Some event kinds are unknown or not visible to your role.",
            details={"unknown": unknown, "notAllowed": refused},
        )
    if language not in ("tr", "en"):
        raise ValidationFailed("language must be tr or en.", details={"language": language})
    if (
        channel == Channel.WEBHOOK
        and enabled
        and not (url.startswith("https://") or url.startswith("http://"))
    ):
        raise ValidationFailed("A webhook needs an http(s) URL.", details={"url": url})
    pref, _created = Preference.objects.update_or_create(
        user=user,
        channel=channel,
        defaults={
            "kinds": sorted(set(kinds)),
            "enabled": enabled,
            "language": language,
            **({"url": url} if channel == Channel.WEBHOOK else {}),
        },
    )
    if channel == Channel.WEBHOOK and not pref.secret:
        pref.secret = secret or secrets.token_hex(32)
        pref.save(update_fields=["secret"])
    record(
        actor=user,
        action="notifications.preferences",
        target=channel,
        payload={"kinds": pref.kinds, "enabled": enabled, "language": language},
    )
    return pref


def summary_time_set(*, user, at: str) -> SummarySchedule:
    """Store the Istanbul time (HH:MM) of user's daily summary; audited."""
    try:
        moment = datetime.strptime(at.strip(), "%H:%M").time()
    except (ValueError, AttributeError):
        message = "The time must be HH:MM (00:00–23:59)."
        raise ValidationFailed(message, details={"at": at}) from None
    row, _created = SummarySchedule.objects.update_or_create(user=user, defaults={"at": moment})
    record(
        actor=user,
        action="notifications.summary_time",
        target=f"user:{user.pk}",
        payload={"at": moment.strftime("%H:%M")},
    )
    return row


def summary_time_of(user) -> time:
    row = SummarySchedule.objects.filter(user=user).first()
    return row.at if row else SummarySchedule._meta.get_field("at").default


# ------------------------------------------------------------------------------ alerts


def alerts_accept(document: dict) -> int:
    """Write one event per Alertmanager notification: one group, one message.

    Alertmanager groups alerts (by name and severity here) so that a desk gets one message, not
    one per series; the key covers the group and the state of each alert in it, so its
    retries and repeats are the same event and a change in the group is a new one.
    """
    alerts = document["alerts"]
    if not alerts:
        return 0
    firing = [a for a in alerts if a["status"] == "firing"]
    shown = firing or alerts
    state = ",".join(
        sorted(f"{a['fingerprint']}:{a['status']}:{a['startsAt'].isoformat()}" for a in alerts)
    )
    group = document.get("groupKey") or ",".join(sorted(a["fingerprint"] for a in alerts))
    key = hashlib.sha256(f"{group}|{state}".encode()).hexdigest()
    common = document.get("commonLabels") or {}
    first = shown[0]
    ends = [a["endsAt"] for a in alerts if a.get("endsAt") and a["status"] == "resolved"]
    summaries = dict.fromkeys(a["annotations"].get("summary", "") for a in shown)
    event = event_emit(
        kind=Kind.ALERT_FIRING if firing else Kind.ALERT_RESOLVED,
        dedupe_key=f"alert:{key}",
        payload={
            "alertname": (common.get("alertname") or first["labels"].get("alertname", "?"))[:100],
            "severity": (common.get("severity") or first["labels"].get("severity", ""))[:20],
            "summary": "; ".join(s for s in summaries if s)[:300],
            "count": len(shown),
            "startsAt": min(a["startsAt"] for a in shown).isoformat(),
            "endsAt": max(ends).isoformat() if ends and not firing else None,
        },
    )
    return int(event is not None)
