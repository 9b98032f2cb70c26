"""Fill the ledger's gaps from the exchange's income history (GET /fapi/v1/income).

Runs after every user-stream (re)connect, on a FUNDING_FEE account update, and on demand (the
operator's POST /futures/ledger/sync and `manage.py sync_income`). Every income type Binance
documents is read, paged by time; each row is booked once (futures.ledger), so running it again,
or the stream delivering the same fill, changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from accounts.permissions import require
from audit.services import record
from futures import ledger, sync
from futures.binance.errors import BinanceError
from futures.binance.rest import client_from_settings
from futures.models import Fill, Order
from risk.models import PnLEntry
from spark_site.errors import ValidationFailed
from spark_site.exchange_env import current_environment

logger = logging.getLogger(__name__)

PAGE = 1000  # Binance's largest income page
WINDOW_MS = 7 * 86_400_000  # one request never spans more than seven days
FUNDING_PERIOD_MS = 8 * 3_600_000
DEFAULT_LOOKBACK_MS = WINDOW_MS  # with nothing booked yet: Binance's own default, 7 days
MAX_SPAN = timedelta(days=90)  # Binance keeps three months of income
MAX_PAGES = 1000  # a runaway guard: a million rows is not one desk's week


def _now_ms() -> int:
    return int(time.time() * 1000)


def income_rows(client, start_ms: int, end_ms: int, *, income_type: str | None = None):
    """Yield every income row in [start_ms, end_ms], oldest first, paged by time.

    A full page continues from the time of its last row (not after it: rows of one millisecond
    may straddle pages), and rows already yielded are skipped by their transaction id.
    """
    seen: set[tuple] = set()
    window_start = start_ms
    pages = 0
    while window_start <= end_ms:
        window_end = min(end_ms, window_start + WINDOW_MS - 1)
        cursor = window_start
        while True:
            pages += 1
            if pages > MAX_PAGES:
                raise RuntimeError("income history longer than the sync's page guard")
            params = {"startTime": cursor, "endTime": window_end, "limit": PAGE}
            if income_type:
                params["incomeType"] = income_type
            rows = client.request("GET", "/fapi/v1/income", params, signed=True) or []
            fresh = []
            for row in rows:
                key = (row.get("tranId"), row.get("incomeType"), row.get("time"))
                if key not in seen:
                    seen.add(key)
                    fresh.append(row)
            yield from fresh
            if len(rows) < PAGE:
                break
            last = max(int(r["time"]) for r in rows)
            # A page with nothing new (one millisecond's rows): step past it, not loop on it.
            cursor = last + 1 if not fresh or last == cursor else last
        window_start = window_end + 1


def _fill_of(env: str, row: dict) -> Fill | None:
    trade_id = row.get("tradeId")
    if trade_id in (None, ""):
        return None
    return (
        Fill.objects.select_related("order")
        .filter(order__environment=env, order__symbol=row.get("symbol"), trade_id=int(trade_id))
        .order_by("id")
        .first()
    )


def _sync_missing_fills(client, env: str, symbol: str, trade_ids: list[int]) -> int:
    """Record fills the stream never delivered (their order too, if Spark never saw it)."""
    wanted = set(trade_ids)
    by_order: dict[int, list[dict]] = defaultdict(list)
    from_id, last_wanted, found = min(wanted), max(wanted), 0
    for _ in range(MAX_PAGES):  # page by trade id until the last missing one is passed
        trades = client.request(
            "GET",
            "/fapi/v1/userTrades",
            {"symbol": symbol, "fromId": from_id, "limit": PAGE},
            signed=True,
        )
        for t in trades or []:
            if int(t["id"]) in wanted:
                by_order[int(t["orderId"])].append(t)
                found += 1
        if not trades or len(trades) < PAGE or found == len(wanted):
            break
        from_id = max(int(t["id"]) for t in trades) + 1
        if from_id > last_wanted:
            break
    new = 0
    for order_id, rows in by_order.items():
        order = Order.objects.filter(
            environment=env, symbol=symbol, exchange_order_id=order_id
        ).first()
        if order is None:
            answer = client.request(
                "GET", "/fapi/v1/order", {"symbol": symbol, "orderId": order_id}, signed=True
            )
            order = sync.order_sync_from_exchange(answer, source="income")
        if order is not None:
            new += sync.trades_sync(order, rows, source="income")
    return new


@dataclass(frozen=True)
class IncomeSynced:
    """What one income sync did over [start_ms, end_ms] of an environment: income rows read,
    ledger entries booked from them, missed fills recorded, rows waiting for a USD price."""

    environment: str
    start_ms: int
    end_ms: int
    rows: int
    booked: int
    fills: int
    pending: int

    def audit_doc(self) -> dict:
        """As the audit entry and the sync_income command record it."""
        return {
            "environment": self.environment,
            "startTime": self.start_ms,
            "endTime": self.end_ms,
            "rows": self.rows,
            "booked": self.booked,
            "fills": self.fills,
            "pending": self.pending,
        }


def income_sync(
    *,
    start_ms: int | None = None,
    end_ms: int | None = None,
    income_type: str | None = None,
    client=None,
) -> IncomeSynced:
    """Book every income row of [start_ms, end_ms] not booked yet; return what was done
    (missed fills are recorded with their realized PnL and commission).

    Without a start: from a funding period before the newest exchange entry of this environment
    (or seven days back when there is none), so a reconnect after a long gap still catches up.
    """
    env = current_environment()
    end_ms = _now_ms() if end_ms is None else int(end_ms)
    if start_ms is None:
        start_ms = default_start_ms(env, end_ms)
    # The shared pooled client unless one is given; its session stays open (the order path's
    # warm connections).
    client = client_from_settings() if client is None else client
    counts = {"rows": 0, "booked": 0, "fills": 0, "pending": 0}
    missing: dict[str, set[int]] = defaultdict(set)
    for row in income_rows(client, int(start_ms), end_ms, income_type=income_type):
        counts["rows"] += 1
        if row.get("incomeType") in ledger.TRADE_INCOME:
            fill = _fill_of(env, row)
            if fill is None:
                missing[row.get("symbol") or ""].add(int(row["tradeId"]))
            else:
                counts["booked"] += ledger.book_fill(fill.order, fill)
            continue
        created = ledger.book_income_row(env, row)
        if created is None:
            counts["pending"] += 1
        else:
            counts["booked"] += int(created)
    for symbol, trade_ids in missing.items():
        if symbol:
            counts["fills"] += _sync_missing_fills(client, env, symbol, sorted(trade_ids))
    return IncomeSynced(environment=env, start_ms=int(start_ms), end_ms=end_ms, **counts)


def default_start_ms(env: str, end_ms: int) -> int:
    newest = PnLEntry.objects.filter(
        source_ref__startswith=f"{env}:",
        source__in=[PnLEntry.Source.FILL, PnLEntry.Source.INCOME],
    ).aggregate(at=Max("created_at"))["at"]
    if newest is None:
        return end_ms - DEFAULT_LOOKBACK_MS
    return max(end_ms - DEFAULT_LOOKBACK_MS, int(newest.timestamp() * 1000) - FUNDING_PERIOD_MS)


def income_sync_requested(
    *, user, start: datetime | None = None, end: datetime | None = None
) -> IncomeSynced:
    """The operator's on-demand sync (futures.reconcile_orders), audited with what it booked."""
    require(user, "futures.reconcile_orders", action="ledger.sync")
    now = timezone.now()
    errors = []
    if end is not None and end > now + timedelta(minutes=5):
        errors.append({"field": "endTime", "message": "in the future"})
    if start is not None and start >= (end or now):
        errors.append({"field": "startTime", "message": "not before endTime"})
    if start is not None and (end or now) - start > MAX_SPAN:
        errors.append({"field": "startTime", "message": f"more than {MAX_SPAN.days} days back"})
    if errors:
        raise ValidationFailed("Invalid ledger sync window.", details={"fields": errors})
    start_ms = int(start.timestamp() * 1000) if start else None
    end_ms = int(end.timestamp() * 1000) if end else None
    try:
        done = income_sync(start_ms=start_ms, end_ms=end_ms)
    except BinanceError as exc:
        record(
            actor=user,
            action="ledger.sync",
            target="income",
            payload={"error": exc.code, "exchangeCode": exc.binance_code},
            outcome="failed",
        )
        raise
    record(actor=user, action="ledger.sync", target="income", payload=done.audit_doc())
    return done


def on_funding_update(event: dict) -> IncomeSynced | None:
    """A FUNDING_FEE account update: read the funding income around it and book it.

    Binance's FUNDING_FEE update carries the balance change but, for a cross position, no
    symbol and no transaction id, so the entry is booked from the income row it matches (the
    same reference the reconnect sync uses); a failed read is caught up at the next sync.
    """
    at = int(event.get("T") or event.get("E") or _now_ms())
    try:
        return income_sync(
            start_ms=at - FUNDING_PERIOD_MS, end_ms=at + 60_000, income_type="FUNDING_FEE"
        )
    except BinanceError:
        logger.warning("reading the funding income after a FUNDING_FEE update failed")
        return None
