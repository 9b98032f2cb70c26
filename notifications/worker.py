"""The delivery worker: fan events out, claim due deliveries with a lease, send, record.

Exactly once, per channel, across a worker killed mid-delivery:

* A delivery is CLAIMED (lease, attempt counted) before anything is sent. A claim whose lease
  ran out was never sent: another worker takes it again.
* Right before the request is written, the row becomes SENDING (committed). After the answer
  it becomes SENT (or back to PENDING with back-off, or FAILED). A SENDING row whose lease ran
  out means the worker died while the channel may or may not have the message.
* Webhooks and email carry the delivery's idempotency key (header, Message-ID), so such a row
  is sent again: at-least-once sending, exactly-once effect at a receiver that drops repeats.
* Telegram has no idempotency key and no way to ask whether a message arrived, so such a row
  becomes UNCERTAIN and is NOT sent again: at-most-once for the one message in flight, never
  a duplicate (a fill announced twice reads as two fills). The window is the time one request
  is on the wire; UNCERTAIN rows are counted in spark_notify_deliveries_total and kept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F, Min, Q
from django.utils import timezone

from notifications import desk, metrics, services, summary
from notifications.channels import DeliveryError, NotSent, OutcomeUnknown
from notifications.channels import email as email_channel
from notifications.channels import webhook as webhook_channel
from notifications.channels.telegram import BotApi
from notifications.messages import render
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    Preference,
    TelegramLink,
)
from notifications.rules import may_see

logger = logging.getLogger(__name__)
S = DeliveryStatus
AT_MOST_ONCE = frozenset({Channel.TELEGRAM})
BATCH = 50


class RateLimit:
    """A token bucket per channel: rate messages a second, bursts of up to rate (at least 1,
    or a rate under one a second would never send)."""

    def __init__(self, rate: float):
        self.rate = rate
        self.burst = max(rate, 1.0)
        self.tokens = self.burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def backoff_seconds(attempts: int) -> float:
    """Exponential back-off: base, 2×base, 4×base … capped at one hour."""
    return min(settings.SPARK_NOTIFY_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0)), 3600)


class Worker:
    def __init__(self, *, bot: BotApi | None = None, name: str | None = None):
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.bot = bot or BotApi()
        self.limits = {
            Channel.TELEGRAM: RateLimit(settings.SPARK_NOTIFY_TELEGRAM_PER_SECOND),
            Channel.WEBHOOK: RateLimit(settings.SPARK_NOTIFY_WEBHOOK_PER_SECOND),
            Channel.EMAIL: RateLimit(settings.SPARK_NOTIFY_EMAIL_PER_SECOND),
        }
        # A channel that answered 429 rests until then (Telegram's retry_after).
        self.paused_until: dict[str, float] = {}
        self.summaries_checked_at = 0.0

    # ---------------------------------------------------------------- one pass
    def run_once(self) -> int:
        """Write due summaries, fan out, recover dead leases, deliver what is due; return how
        many were sent."""
        self.write_summaries()
        services.fan_out()
        self.recover()
        sent = 0
        for delivery in self.claim():
            if self.deliver(delivery):
                sent += 1
        self.observe()
        return sent

    def write_summaries(self) -> None:
        """Daily summaries are checked every SPARK_NOTIFY_SUMMARY_CHECK_SECONDS, not every pass."""
        if not settings.SPARK_NOTIFY_DAILY_SUMMARIES:
            return
        now = time.monotonic()
        if now - self.summaries_checked_at < settings.SPARK_NOTIFY_SUMMARY_CHECK_SECONDS:
            return
        self.summaries_checked_at = now
        summary.summaries_due()

    def recover(self) -> None:
        """Settle rows whose worker died: a claim is re-queued, a send is judged per channel."""
        now = timezone.now()
        expired = Q(lease_until__lt=now)
        # A read first: on SQLite even an UPDATE that matches nothing takes the write lock,
        # and this runs every second beside the order path.
        if not Delivery.objects.filter(expired, status__in=(S.CLAIMED, S.SENDING)).exists():
            return
        requeued = Delivery.objects.filter(expired, status=S.CLAIMED).update(
            status=S.PENDING, lease_owner="", lease_until=None
        )
        if requeued:
            metrics.DELIVERIES.labels(channel="any", outcome="requeued").inc(requeued)
        for delivery in Delivery.objects.filter(expired, status=S.SENDING):
            at_most_once = delivery.channel in AT_MOST_ONCE
            changes = (
                {"status": S.UNCERTAIN, "last_error": "worker stopped mid-request; not resent"}
                if at_most_once
                else {"status": S.PENDING, "next_attempt_at": now}
            )
            if Delivery.objects.filter(
                pk=delivery.pk, status=S.SENDING, lease_owner=delivery.lease_owner
            ).update(lease_owner="", lease_until=None, **changes):
                outcome = "uncertain" if at_most_once else "requeued"
                metrics.DELIVERIES.labels(channel=delivery.channel, outcome=outcome).inc()

    def claim(self) -> list[Delivery]:
        """Lease due deliveries, oldest first, as many as each channel's rate allows now."""
        now = timezone.now()
        lease = now + timedelta(seconds=settings.SPARK_NOTIFY_LEASE_SECONDS)
        claimed = []
        due = Delivery.objects.filter(status=S.PENDING, next_attempt_at__lte=now).order_by("id")
        for delivery in due[:BATCH]:
            if self.paused_until.get(delivery.channel, 0) > time.monotonic():
                continue
            if not self.limits[delivery.channel].take():
                continue
            # Compare-and-set: of two workers reading the same row, one claims it.
            if Delivery.objects.filter(pk=delivery.pk, status=S.PENDING).update(
                status=S.CLAIMED,
                lease_owner=self.name,
                lease_until=lease,
                attempts=F("attempts") + 1,
            ):
                delivery.refresh_from_db()
                claimed.append(delivery)
        return claimed

    # ---------------------------------------------------------------- one delivery
    def deliver(self, delivery: Delivery) -> bool:
        mine = Delivery.objects.filter(pk=delivery.pk, lease_owner=self.name)
        pref = Preference.objects.filter(user=delivery.user, channel=delivery.channel).first()
        lang = pref.language if pref else "tr"
        event = delivery.event
        refusal = _still_allowed(delivery, event)
        if refusal:
            # Rights or the link changed since the fan-out: what the user may no longer see
            # is not sent, and a message never goes to a chat that is no longer theirs.
            mine.filter(status=S.CLAIMED).update(
                status=S.FAILED, last_error=refusal, lease_until=None
            )
            metrics.DELIVERIES.labels(channel=delivery.channel, outcome="failed").inc()
            return False
        subject, text = render(event.kind, event.payload, lang)
        # Committed before the request is written: after a crash from here on, recover() knows
        # the channel may have the message.
        if not mine.filter(status=S.CLAIMED).update(status=S.SENDING, sending_at=timezone.now()):
            return False  # the lease was lost (this worker stalled past it)
        try:
            external_id = self._send(delivery, pref, event, subject, text)
        except OutcomeUnknown as exc:
            if delivery.channel in AT_MOST_ONCE:
                mine.filter(status=S.SENDING).update(
                    status=S.UNCERTAIN, last_error=str(exc)[:300], lease_until=None
                )
                metrics.DELIVERIES.labels(channel=delivery.channel, outcome="uncertain").inc()
            else:
                self._retry(mine, delivery, exc)
            return False
        except DeliveryError as exc:
            self._retry(mine, delivery, exc)
            return False
        except Exception as exc:  # noqa: BLE001 - an SMTP or template error: retry later
            logger.warning("delivery %s failed: %s", delivery.pk, type(exc).__name__)
            self._retry(mine, delivery, DeliveryError(type(exc).__name__))
            return False
        mine.filter(status=S.SENDING).update(
            status=S.SENT,
            sent_at=timezone.now(),
            external_id=str(external_id)[:64],
            lease_until=None,
            last_error="",
        )
        metrics.DELIVERIES.labels(channel=delivery.channel, outcome="sent").inc()
        return True

    def _send(self, delivery, pref, event, subject: str, text: str) -> str:
        if delivery.channel == Channel.TELEGRAM:
            result = self.bot.send_message(int(delivery.destination), text)
            return str((result or {}).get("message_id", ""))
        if delivery.channel == Channel.WEBHOOK:
            return webhook_channel.send(
                url=delivery.destination,
                secret=pref.secret if pref else "",
                idempotency_key=str(delivery.idempotency_key),
                document={
                    "id": str(delivery.idempotency_key),
                    "kind": event.kind,
                    "createdAt": event.created_at.isoformat(),
                    "payload": event.payload,
                    "subject": subject,
                    "text": text,
                },
            )
        return email_channel.send(
            to=delivery.destination,
            subject=subject,
            text=text,
            idempotency_key=str(delivery.idempotency_key),
        )

    def _retry(self, mine, delivery: Delivery, exc: DeliveryError) -> None:
        """Back to PENDING after a back-off (or the channel's retry_after), or FAILED."""
        if exc.retry_after is not None:
            self.paused_until[delivery.channel] = time.monotonic() + exc.retry_after
        give_up = exc.permanent or delivery.attempts >= settings.SPARK_NOTIFY_MAX_ATTEMPTS
        wait = (
            exc.retry_after if exc.retry_after is not None else backoff_seconds(delivery.attempts)
        )
        mine.filter(status=S.SENDING).update(
            status=S.FAILED if give_up else S.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
            lease_owner="",
            lease_until=None,
            last_error=str(exc)[:300],
        )
        outcome = "failed" if give_up else "retry"
        metrics.DELIVERIES.labels(channel=delivery.channel, outcome=outcome).inc()
        if isinstance(exc, NotSent):
            logger.info("delivery %s not sent (%s); retrying", delivery.pk, exc)

    def observe(self) -> None:
        """Lag and health for /metrics."""
        now = timezone.now()
        open_statuses = (S.PENDING, S.CLAIMED, S.SENDING)
        oldest = Delivery.objects.filter(
            status__in=open_statuses, next_attempt_at__lte=now
        ).aggregate(at=Min("event__created_at"))["at"]
        unfanned = Event.objects.filter(fanned_out_at=None).aggregate(at=Min("created_at"))["at"]
        starts = [t for t in (oldest, unfanned) if t is not None]
        metrics.DELIVERY_LAG_SECONDS.set(
            max((now - min(starts)).total_seconds(), 0) if starts else 0
        )
        for channel in Channel.values:
            metrics.PENDING.labels(channel=channel).set(
                Delivery.objects.filter(status__in=open_statuses, channel=channel).count()
            )
        metrics.WORKER_HEARTBEAT.set(time.time())


def _still_allowed(delivery: Delivery, event: Event) -> str:
    """'' when the delivery may go out now, else why not."""
    user = delivery.user
    if not may_see(user, event):
        return "the user's role no longer lets them see this event"
    if delivery.channel == Channel.TELEGRAM:
        link = TelegramLink.objects.filter(user=user).first()
        if link is None or str(link.chat_id) != delivery.destination:
            return "the Telegram chat was unlinked"
    return ""


# -------------------------------------------------------------------------- loops


def delivery_loop(stop: threading.Event, worker: Worker | None = None) -> None:
    """Deliver until stop is set (a thread: the channels block on HTTP)."""
    worker = worker or Worker()
    while not stop.is_set():
        try:
            busy = worker.run_once()
        except Exception:  # noqa: BLE001 - a database blip must not end the worker
            logger.exception("notification worker pass failed")
            busy = 0
        finally:
            close_old_connections()
        if not busy:
            stop.wait(settings.SPARK_NOTIFY_POLL_SECONDS)


def desk_loop(stop: threading.Event, bot: BotApi | None = None) -> None:
    """Serve the Telegram desk until stop is set: register the webhook (webhook mode) or
    long-poll getUpdates."""
    bot = bot or BotApi()
    if not bot.configured:
        logger.info("TELEGRAM_BOT_TOKEN is not set: the Telegram desk is off")
        return
    webhook = settings.TELEGRAM_WEBHOOK_URL
    while not stop.is_set():
        try:
            # Either mode first tells Telegram which one it is: a webhook left set by an
            # earlier run would make every getUpdates a 409.
            if webhook:
                bot.set_webhook(webhook, settings.TELEGRAM_WEBHOOK_SECRET)
                logger.info("Telegram desk in webhook mode")
                return  # updates now arrive at /notifications/telegram/webhook
            bot.delete_webhook()
            break
        except DeliveryError as exc:
            logger.warning("Telegram webhook setup failed: %s", exc)
            stop.wait(exc.retry_after or 5)
    while not stop.is_set():
        try:
            desk.poll_once(bot, timeout=settings.TELEGRAM_POLL_TIMEOUT_SECONDS)
        except DeliveryError as exc:
            logger.warning("Telegram getUpdates failed: %s", exc)
            stop.wait(exc.retry_after or 5)
        except Exception:  # noqa: BLE001
            logger.exception("Telegram desk pass failed")
            stop.wait(5)
        finally:
            close_old_connections()


def start_threads(stop: threading.Event) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=delivery_loop, args=(stop,), name="notify-delivery", daemon=True),
        threading.Thread(target=desk_loop, args=(stop,), name="notify-desk", daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


async def embedded_main() -> None:
    """Run the worker beside Daphne (make run) unless SPARK_NOTIFIER_EMBEDDED is off."""
    if not settings.SPARK_NOTIFIER_EMBEDDED:
        return
    stop = threading.Event()
    start_threads(stop)
    try:
        await asyncio.Event().wait()  # until the server cancels its tasks
    finally:
        stop.set()
