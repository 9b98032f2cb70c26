"""Portfolio workflows: refresh every exchange concurrently, store a snapshot, thin old ones."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from futures.binance.rest import client_from_settings
from portfolio import metrics
from portfolio.connectors.base import (
    EXCHANGES,
    SourceError,
    SourceFetch,
    to_decimal,
)
from portfolio.models import PortfolioAsset, PortfolioSnapshot
from portfolio.sources import Source, configured_sources, exchange_timeout
from portfolio.valuation import usd, value_holdings

logger = logging.getLogger(__name__)


def fetch_all(sources: list[Source], *, timeout: float) -> dict[str, SourceFetch | SourceError]:
    """Read every source at once on its own thread; one that is not back in `timeout` is TIMEOUT.

    The total wait is the slowest source (bounded by timeout), not the sum. A timed-out thread
    is abandoned, not joined: its HTTP timeout ends it later, and the answer never waits for it.
    """
    if not sources:
        return {}
    pool = ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="portfolio-fetch")
    try:
        futures = {pool.submit(s.fetch): s.exchange for s in sources}
        done, _ = wait(futures, timeout=timeout)
        out: dict[str, SourceFetch | SourceError] = {}
        for fut, exchange in futures.items():
            if fut not in done:
                fut.cancel()
                out[exchange] = SourceError(exchange, "TIMEOUT", f"no answer within {timeout:g} s")
                continue
            exc = fut.exception()
            if exc is None:
                out[exchange] = fut.result()
            elif isinstance(exc, SourceError):
                out[exchange] = exc
            else:  # a bug or an unexpected payload must not take the other exchanges down
                logger.exception("portfolio source %s failed", exchange, exc_info=exc)
                out[exchange] = SourceError(exchange, "INTERNAL", type(exc).__name__)
        return out
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def last_good_snapshot(exchange: str) -> PortfolioSnapshot | None:
    """The newest snapshot in which `exchange` answered."""
    return (
        PortfolioSnapshot.objects.filter(**{f"sources__{exchange}__status": "ok"})
        .order_by("-taken_at", "-id")
        .first()
    )


def portfolio_refresh(
    *, sources: list[Source] | None = None, timeout: float | None = None
) -> PortfolioSnapshot:
    """Read every configured exchange, value it in USD and store the snapshot.

    A failed exchange is counted in spark_exchange_api_error_total{exchange,code} and shown
    stale with the assets of its last good snapshot and the error; the others still answer.
    """
    sources = configured_sources() if sources is None else sources
    timeout = exchange_timeout() if timeout is None else timeout
    started = time.perf_counter()
    now = timezone.now()  # "as of": the moment the reads began
    results = fetch_all(sources, timeout=timeout)

    rows: list[PortfolioAsset] = []
    states: dict[str, dict] = {}
    for exchange in [e for e in EXCHANGES if e in results] + sorted(set(results) - set(EXCHANGES)):
        result = results[exchange]
        if isinstance(result, SourceFetch):
            values = value_holdings(result.holdings, result.prices_usd)
            rows += [
                PortfolioAsset(
                    exchange=exchange,
                    asset=v.asset,
                    quantity=v.quantity,
                    free=v.free,
                    locked=v.locked,
                    price_usd=v.price_usd,
                    value_usd=v.value_usd,
                )
                for v in values
            ]
            states[exchange] = {
                "status": "ok",
                "fetched_at": result.fetched_at.isoformat(),
                "error": None,
                "unpriced": sorted(v.asset for v in values if v.value_usd is None),
            }
            continue
        if not result.counted:  # a Binance connector counted its own failed call already
            metrics.EXCHANGE_API_ERRORS.labels(exchange=exchange, code=result.code).inc()
        logger.warning("portfolio: %s failed: %s %s", exchange, result.code, result.message)
        error = {"code": result.code, "message": result.message}
        good = last_good_snapshot(exchange)
        if good is None:
            states[exchange] = {"status": "unavailable", "fetched_at": None, "error": error}
            continue
        states[exchange] = {
            "status": "stale",
            "fetched_at": good.sources[exchange]["fetched_at"],
            "error": error,
            "stale_snapshot_id": good.id,
        }
        rows += [
            PortfolioAsset(
                exchange=exchange,
                asset=a.asset,
                quantity=a.quantity,
                free=a.free,
                locked=a.locked,
                price_usd=a.price_usd,
                value_usd=a.value_usd,
                stale=True,
            )
            for a in good.assets.filter(exchange=exchange)
        ]

    for exchange, state in states.items():
        values = (r.value_usd for r in rows if r.exchange == exchange and r.value_usd)
        state["value_usd"] = str(usd(sum(values, Decimal(0))))
    total = usd(sum((r.value_usd for r in rows if r.value_usd is not None), Decimal(0)))
    latency_ms = (time.perf_counter() - started) * 1000
    partial = any(s["status"] != "ok" for s in states.values())
    with transaction.atomic():
        snap = PortfolioSnapshot.objects.create(
            taken_at=now,
            total_usd=total,
            partial=partial,
            sources=states,
            latency_ms=round(latency_ms),
        )
        for r in rows:
            r.snapshot = snap
        PortfolioAsset.objects.bulk_create(rows)
        transaction.on_commit(lambda: _announce(snap))

    metrics.REFRESH_LATENCY_MS.observe(latency_ms)
    metrics.TOTAL_VALUE_USD.set(float(total))  # a gauge is a float; the API keeps the Decimal
    metrics.ASSET_COUNT.set(len({r.asset for r in rows if r.quantity}))
    if states and not partial:
        # "last successful update": only when every exchange answered, so PortfolioDataStale fires
        # while one of them keeps failing.
        metrics.LAST_UPDATE_TIMESTAMP.set(now.timestamp())
    return snap


def _announce(snap: PortfolioSnapshot) -> None:
    """Tell the live pages (topic `portfolio` on /ws/live/) that a new snapshot is stored."""
    from futures.broadcast import publish  # the platform's one live channel

    publish(
        "portfolio",
        {
            "snapshot_id": snap.id,
            "as_of": snap.taken_at.isoformat(),
            "total_usd": format(snap.total_usd, "f"),
            "partial": snap.partial,
        },
    )


def max_age_seconds() -> float:
    """How old a stored snapshot may be and still be served without a refresh."""
    return float(getattr(settings, "PORTFOLIO_MAX_AGE_SECONDS", 30))


_REFRESH_LOCK = threading.Lock()


def portfolio_current(*, refresh: bool = False) -> PortfolioSnapshot:
    """The latest snapshot if recent enough, else (or when asked) a fresh one.

    Refreshes are serialized per process, and a caller that waited for someone else's
    refresh begun after it asked takes that one: a burst of page loads or refresh clicks
    reads each exchange once, not once per request (Spot's account costs 20 weight).
    """
    asked = timezone.now()
    if not refresh and (fresh := _recent_snapshot()) is not None:
        return fresh
    with _REFRESH_LOCK:
        latest = PortfolioSnapshot.objects.order_by("-taken_at", "-id").first()
        if latest is not None and latest.taken_at >= asked:
            return latest
        if not refresh and (fresh := _recent_snapshot()) is not None:
            return fresh
        return portfolio_refresh()


def _recent_snapshot() -> PortfolioSnapshot | None:
    latest = PortfolioSnapshot.objects.order_by("-taken_at", "-id").first()
    if latest is not None and timezone.now() - latest.taken_at <= timedelta(
        seconds=max_age_seconds()
    ):
        return latest
    return None


def _bucket(at: datetime, unit: str) -> tuple:
    return (at.year, at.month, at.day, at.hour) + ((at.minute,) if unit == "minute" else ())


def snapshots_thin(*, now: datetime | None = None) -> int:
    """Keep the newest snapshot per minute for a day and per hour for 30 days; drop the rest.

    The last good snapshot of each exchange is kept whatever its age: it is what a failing
    exchange is shown with. Returns the number of snapshots deleted.
    """
    now = now or timezone.now()
    day_ago, month_ago = now - timedelta(days=1), now - timedelta(days=30)
    protected = {s.id for e in EXCHANGES if (s := last_good_snapshot(e)) is not None}
    seen: set[tuple] = set()
    doomed: list[int] = []
    rows = PortfolioSnapshot.objects.order_by("-taken_at", "-id").values_list("id", "taken_at")
    for sid, at in rows.iterator():
        if sid in protected:
            continue
        if at < month_ago:
            doomed.append(sid)
            continue
        key = ("m", *_bucket(at, "minute")) if at >= day_ago else ("h", *_bucket(at, "hour"))
        if key in seen:
            doomed.append(sid)
        else:
            seen.add(key)
    deleted = 0
    for i in range(0, len(doomed), 500):
        # the assets go by cascade; chunks keep SQLite's variable limit and lock time small
        deleted += (
            PortfolioSnapshot.objects.filter(id__in=doomed[i : i + 500])
            .delete()[1]
            .get("portfolio.PortfolioSnapshot", 0)
        )
    return deleted


def positions_open() -> list[dict]:
    """Open USD-M futures positions: entry, mark, unrealized PnL, leverage, liquidation price.

    Raises the typed exchange error (rendered 502/503) after counting it; amounts are strings.
    """
    rows = client_from_settings().positions()  # a failure is counted by the connector
    out = []
    for row in rows:
        amount = to_decimal(row["positionAmt"])
        if not amount:
            continue
        side = row.get("positionSide", "BOTH")
        if side == "BOTH":
            side = "LONG" if amount > 0 else "SHORT"
        liquidation = to_decimal(row.get("liquidationPrice") or "0")
        out.append(
            {
                "symbol": row["symbol"],
                "side": side,
                "quantity": format(amount, "f"),
                "entry_price": format(to_decimal(row["entryPrice"]), "f"),
                "mark_price": format(to_decimal(row["markPrice"]), "f"),
                "unrealized_pnl": format(to_decimal(row["unRealizedProfit"]), "f"),
                "notional": format(to_decimal(row.get("notional") or "0"), "f"),
                "leverage": int(to_decimal(row.get("leverage") or "1")),
                "liquidation_price": format(liquidation, "f") if liquidation else None,
                "margin_type": str(row.get("marginType", "")).upper() or None,
            }
        )
    return sorted(out, key=lambda p: p["symbol"])
