"""The current state of a live topic, read from the database for a new subscriber.

Apart from broadcast.py (which only sends), so the stream supervisor, which publishes through
broadcast, and this read of its status do not import each other in a circle.
"""

from __future__ import annotations

from typing import Any

from futures.broadcast import account_payload, order_payload, position_payload, risk_snapshot
from futures.models import OPEN_STATUSES, AccountSnapshot, Order, PositionSnapshot
from futures.supervisor import read_status
from spark_site.exchange_env import current_environment


def snapshot(topic: str) -> Any:
    """The current state of a non-market topic (sync; the consumer runs it in a thread)."""
    env = current_environment()
    if topic == "orders":
        rows = Order.objects.filter(status__in=OPEN_STATUSES, environment=env)[:50]
        recent = Order.objects.filter(environment=env).exclude(status__in=OPEN_STATUSES)[:10]
        return {
            "open": [order_payload(o) for o in rows],
            "recent": [order_payload(o) for o in recent],
        }
    if topic == "positions":
        # one row per symbol and side (BOTH one-way; LONG and SHORT in hedge mode)
        rows = (
            PositionSnapshot.objects.filter(environment=env)
            .exclude(position_amt=0)
            .order_by("symbol", "position_side")
        )
        return {"positions": [position_payload(p) for p in rows]}
    if topic == "account":
        snap = AccountSnapshot.objects.filter(environment=env).first()
        return account_payload(snap) if snap else None
    if topic == "risk":
        return risk_snapshot()
    if topic == "streams":
        return read_status()
    return None
