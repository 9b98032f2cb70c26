"""Live events to browser sockets: `publish(topic, payload)` through channel-layer groups.

Topics: `ticker:<SYMBOL>`, `depth:<SYMBOL>`, `kline:<SYMBOL>` (the 1m bar of the chart,
futures/chart.py) (fast market data, coalesced), `orders`,
`positions`, `account`, `risk`, `streams` (never dropped by the coalescing). Every consumer
subscribed to a topic is in the group `live.<topic with ':' as '.'>` and receives
`{"type": "live.event", "topic", "payload", "ts"}`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_save

from risk import models as risk_models
from risk.schemas import risk_status_out
from risk.services import risk_status
from spark_site.groups import send_to_group
from spark_site.money import plain

logger = logging.getLogger(__name__)

FIXED_TOPICS = frozenset({"orders", "positions", "account", "risk", "streams", "portfolio"})
MARKET_TOPIC_RE = re.compile(r"^(ticker|depth|kline):([A-Z0-9]{2,20})$")
LATEST_CACHE_PREFIX = "spark:live:latest:"

# The latest value of every market topic published from this process (snapshots of new
# subscribers in embedded mode; the stream process also mirrors it into the cache).
latest: dict[str, dict] = {}


def valid_topic(topic: str) -> bool:
    # fullmatch: `$` alone would accept a trailing newline ("ticker:BTCUSDT\n").
    return isinstance(topic, str) and (
        topic in FIXED_TOPICS or bool(MARKET_TOPIC_RE.fullmatch(topic))
    )


def is_market(topic: str) -> bool:
    return topic.startswith(("ticker:", "depth:", "kline:"))


def group_of(topic: str) -> str:
    return "live." + topic.replace(":", ".")


def message(topic: str, payload: Any) -> dict:
    return {"type": "live.event", "topic": topic, "payload": payload, "ts": time.time()}


async def apublish(topic: str, payload: Any) -> None:
    """Send payload to every socket subscribed to topic (from async code)."""
    if is_market(topic):
        latest[topic] = payload
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(group_of(topic), message(topic, payload))


def publish(topic: str, payload: Any) -> None:
    """Send payload to every socket subscribed to topic (from sync or async code)."""
    if is_market(topic):
        latest[topic] = payload
    send_to_group(group_of(topic), message(topic, payload))


class Coalescer:
    """Keep only the latest payload per topic; send at most one per topic every interval.

    offer() is O(1) and never blocks (the stream's hot path); a sender task drains the
    pending topics, so a slow channel layer coalesces more instead of queueing without bound.
    """

    def __init__(
        self,
        interval: float = 0.05,
        send: Callable[[str, Any], Awaitable[None]] = apublish,
    ):
        self.interval = interval
        self.send = send
        self.pending: dict[str, Any] = {}
        self.sent = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closed = False

    def offer(self, topic: str, payload: Any) -> None:
        self.pending[topic] = payload
        self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._closed = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="coalescer")

    async def _run(self) -> None:
        # The flag, not only the cancellation, ends the loop: a channel layer that swallows a
        # CancelledError inside group_send (seen with channels-redis) must not keep it alive.
        while not self._closed:
            await self._wake.wait()
            self._wake.clear()
            batch, self.pending = self.pending, {}
            for topic, payload in batch.items():
                try:
                    # A copy: the stream keeps mutating its views after the offer.
                    await self.send(topic, dict(payload) if isinstance(payload, dict) else payload)
                    self.sent += 1
                except Exception:
                    logger.exception("coalesced publish of %s failed", topic)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._closed = True
        self._wake.set()
        if task is not None:
            await cancel_and_wait([task])


async def cancel_and_wait(tasks: list[asyncio.Task], timeout: float = 5.0) -> None:
    """Cancel tasks and wait until they end (bounded: a swallowed cancel cannot hang a stop)."""
    tasks = [t for t in tasks if t is not None]
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            logger.warning("task %s ended with %r", task.get_name(), task.exception())
    for task in pending:
        logger.error("task %s did not stop within %.1fs", task.get_name(), timeout)


# ------------------------------------------------------------------------------ serializers

_s = plain


def order_payload(order) -> dict:
    return {
        "id": order.pk,
        "client_order_id": order.client_order_id,
        "exchange_order_id": order.exchange_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "status": order.status,
        "quantity": _s(order.quantity),
        "price": _s(order.price),
        "filled_qty": _s(order.filled_qty),
        "avg_price": _s(order.avg_price),
        "stop_price": _s(order.stop_price),
        "reduce_only": order.reduce_only,
        # named as in the API contract (issue 22), like every order JSON
        "positionSide": order.position_side,
        "is_algo": order.is_algo,
        "close_position": order.close_position,
        "callback_rate": _s(order.callback_rate),
        "activation_price": _s(order.activation_price),
        "dry_run": order.dry_run,
        "is_open": order.is_open,
        "updated_at": order.updated_at.isoformat() if order.updated_at else None,
    }


def position_payload(p) -> dict:
    return {
        "symbol": p.symbol,
        # one row per symbol and side: BOTH (one-way) or LONG / SHORT (hedge mode); named as
        # in the API contract (issue 22), as GET /futures/positions names it
        "positionSide": p.position_side,
        "position_amt": _s(p.position_amt),
        "entry_price": _s(p.entry_price),
        "mark_price": _s(p.mark_price),
        "unrealized_pnl": _s(p.unrealized_pnl),
        "liquidation_price": _s(p.liquidation_price),
        "isolated_margin": _s(p.isolated_margin),
        "leverage": p.leverage,
        "margin_type": p.margin_type,
        "source": p.source,
        "updated_at": p.updated_at.isoformat() if p.updated_at else None,
    }


def account_payload(a) -> dict:
    return {
        "environment": a.environment,
        "wallet_balance": _s(a.wallet_balance),
        "available_balance": _s(a.available_balance),
        "margin_balance": _s(a.margin_balance),
        "unrealized_pnl": _s(a.unrealized_pnl),
        "margin_ratio": _s(a.margin_ratio),
        "updated_at": a.updated_at.isoformat() if a.updated_at else None,
    }


def risk_snapshot() -> dict | None:
    """Risk status as the risk app reports it (risk never imports futures; we ask it)."""
    try:
        return risk_status_out(risk_status())
    except Exception:
        logger.exception("risk status unavailable")
        return None


# -------------------------------------------------------------- the writer's live events
# futures/sync.py, the one writer of exchange truth, calls these once its transaction commits.


def publish_order(order) -> None:
    """An order changed: its row to the `orders` topic."""
    publish("orders", {"order": order_payload(order)})


def publish_positions(positions) -> None:
    """Position rows were upserted: them to the `positions` topic."""
    publish("positions", {"positions": [position_payload(p) for p in positions]})


def publish_account(account) -> None:
    """The account totals changed: the snapshot to the `account` topic."""
    publish("account", account_payload(account))


# ----------------------------------------------------------------------- risk rows receivers

_risk_guard = threading.local()


def on_risk_saved(sender, **kwargs) -> None:
    """A breaker, limit or PnL row changed: push the risk view once the write commits."""
    if not getattr(_risk_guard, "busy", False):
        transaction.on_commit(_publish_risk)


def _publish_risk() -> None:
    # risk_status() may create its singleton rows on first use; do not recurse on those saves.
    if getattr(_risk_guard, "busy", False):
        return
    _risk_guard.busy = True
    try:
        risk = risk_snapshot()
    finally:
        _risk_guard.busy = False
    if risk is not None:
        publish("risk", risk)


def connect_risk_receivers() -> None:
    """Push the risk view when a risk row changes (post_save of risk's models).

    Risk never imports futures; futures listens to the risk rows it may read (the arrows of
    ARCHITECTURE.md allow futures -> risk).
    """
    for model in (
        risk_models.CircuitBreaker,
        risk_models.RiskLimits,
        risk_models.SymbolPositionLimit,
        risk_models.PnLEntry,
    ):
        post_save.connect(on_risk_saved, sender=model, dispatch_uid=f"live-risk-{model.__name__}")
