"""Streams down for longer than SPARK_NOTIFY_STREAMS_DOWN_SECONDS, and their return, as events.

The supervisor (one per installation) feeds its status here every second. An outage starts
when a connection of running streams is not up; it is announced once it lasted the threshold,
and its end is announced only if its start was. A deliberate ws.stop ends the watch without a
message. Both events are keyed by the outage's start, so a repeated pass writes nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings

from notifications.models import Kind
from notifications.services import event_emit


class OutageWatch:
    def __init__(self) -> None:
        self.down_since: float | None = None
        self.announced = False

    def observe(self, status: dict, now: float) -> str | None:
        """Update from one supervisor status; return the kind of event written, if any."""
        down = [
            c.get("name") or "?" for c in status.get("connections") or [] if c.get("state") != "up"
        ]
        if not status.get("running"):
            self.down_since, self.announced = None, False
            return None
        if down:
            if self.down_since is None:
                self.down_since = now
            threshold = settings.SPARK_NOTIFY_STREAMS_DOWN_SECONDS
            if not self.announced and now - self.down_since >= threshold:
                self.announced = True
                event_emit(
                    kind=Kind.STREAMS_DOWN,
                    dedupe_key=f"streams.down:{self.down_since:.3f}",
                    payload={"since": _iso(self.down_since), "connections": sorted(down)},
                )
                return Kind.STREAMS_DOWN
            return None
        if self.down_since is None:
            return None
        since, announced = self.down_since, self.announced
        self.down_since, self.announced = None, False
        if not announced:
            return None
        event_emit(
            kind=Kind.STREAMS_UP,
            dedupe_key=f"streams.up:{since:.3f}",
            payload={"since": _iso(since), "at": _iso(now), "downSeconds": f"{now - since:.0f}"},
        )
        return Kind.STREAMS_UP


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()
