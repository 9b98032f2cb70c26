"""The notification outbox (events and their deliveries), chat links, preferences, desk buttons."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FILL = "fill", "fill"
    ORDER_REJECTED = "order.rejected", "order rejected"
    BREAKER_OPENED = "breaker.opened", "breaker opened"
    BREAKER_CLOSED = "breaker.closed", "breaker closed"
    LOSS_BUDGET_LOW = "loss_budget.low", "loss budget below 20 %"
    CANARY_RESULT = "canary.result", "canary result"
    PROPOSAL_PENDING = "proposal.pending", "parameter change waiting for approval"
    ALERT_FIRING = "alert.firing", "alert firing"
    ALERT_RESOLVED = "alert.resolved", "alert resolved"
    STREAMS_DOWN = "streams.down", "streams down"
    STREAMS_UP = "streams.up", "streams back"
    DAILY_SUMMARY = "daily.summary", "daily summary"


class Channel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WEBHOOK = "webhook", "webhook"
    EMAIL = "email", "email"


class Event(models.Model):
    """One thing worth telling someone, written in the transaction of the change that caused it.

    dedupe_key makes a replayed cause (a fill seen on the stream and again by REST, an
    Alertmanager retry) one event. The worker fans an event out into deliveries later, so the
    order path pays one insert.
    """

    kind = models.CharField(max_length=24, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    # The user the event is about (the order's owner); None for desk-wide events.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification event")
        verbose_name_plural = _("notification events")
        ordering = ["id"]
        indexes = [models.Index(fields=["fanned_out_at", "id"], name="notif_event_fanout")]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    CLAIMED = "claimed", "claimed"  # leased by a worker, nothing sent yet
    SENDING = "sending", "sending"  # the request is being written: the outcome may be unknown
    SENT = "sent", "sent"
    FAILED = "failed", "failed"  # a permanent refusal or retries exhausted
    UNCERTAIN = "uncertain", "uncertain"  # a worker died mid-request on an at-most-once channel


class Delivery(models.Model):
    """One event to one user on one channel; idempotency_key is sent where the channel takes it."""

    Status = DeliveryStatus

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    destination = models.CharField(max_length=300)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=64, blank=True)  # Telegram message_id
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user", "channel"], name="notif_delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"delivery #{self.pk} {self.channel} {self.status}"


class Preference(models.Model):
    """Which event kinds reach a user on one channel (and where, for webhooks)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kinds = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    language = models.CharField(max_length=2, default="tr")  # tr | en
    # webhook only: where to POST and the HMAC-SHA256 key that signs the body
    url = models.URLField(blank=True)
    secret = models.CharField(max_length=128, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="notif_pref_one_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel} {self.kinds}"


class TelegramLink(models.Model):
    """A Telegram chat linked to one user; the desk acts with that user's permissions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link"
    )
    chat_id = models.BigIntegerField(unique=True)
    # The Telegram account that sent the code: in a group chat, only it speaks for the user.
    telegram_user_id = models.BigIntegerField()
    username = models.CharField(max_length=64, blank=True)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return f"{self.user_id} ↔ chat {self.chat_id}"


class LinkCode(models.Model):
    """A one-time code shown on the profile page; /start CODE in Telegram links the chat."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"link code of {self.user_id}"


class DeskAction(models.Model):
    """A confirmation button: bound to one user, one chat and one exact action; used once."""

    token = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    chat_id = models.BigIntegerField()
    action = models.JSONField()  # {"method", "path", "body"} as the copilot returned it
    action_sha256 = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)  # confirmed | cancelled
    message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Telegram desk action")
        verbose_name_plural = _("Telegram desk actions")

    def __str__(self) -> str:
        return f"desk action {self.pk} {self.action.get('path')}"


class SummarySchedule(models.Model):
    """When (Istanbul wall-clock time) a user's daily summary is written; one per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="summary_schedule"
    )
    at = models.TimeField(default=datetime.time(21, 0))

    def __str__(self) -> str:
        return f"{self.user_id} daily summary at {self.at:%H:%M} Istanbul"


class TelegramUpdate(models.Model):
    """A webhook update already taken (Telegram retries a webhook until it gets a 2xx).

    The row is written before the update is handled: a crash mid-handling loses that update
    rather than running a confirmed action twice.
    """

    update_id = models.BigIntegerField(unique=True)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"update {self.update_id}"


class BotCursor(models.Model):
    """The next getUpdates offset (one row), so a restart neither replays nor skips updates."""

    SINGLETON_PK = 1
    update_offset = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"getUpdates offset {self.update_offset}"

    @classmethod
    def load(cls) -> BotCursor:
        return cls.objects.get_or_create(pk=cls.SINGLETON_PK)[0]
