"""Historical klines: fetched from the exchange's public endpoint, stored, loaded as arrays."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import numpy as np
import requests
from django.conf import settings
from django.utils.translation import gettext_noop

from spark_site.errors import DomainError, ServiceUnavailable, ValidationFailed
from strategies.documents import INTERVALS
from strategies.models import Kline

logger = logging.getLogger(__name__)

PAGE = 1500  # the most bars /fapi/v1/klines returns per call


class ExchangeDataError(ServiceUnavailable):
    code = "EXCHANGE_UNAVAILABLE"


class ExchangeRejected(DomainError):
    """The exchange refused the request itself (HTTP 4xx such as -1121 invalid symbol)."""

    status = 422
    code = "EXCHANGE_REJECTED"


class NoData(DomainError):
    status = 422
    code = "NO_KLINES"


def interval_ms(interval: str) -> int:
    try:
        return INTERVALS[interval]
    except KeyError:
        raise ValidationFailed(
            "unknown interval %(value)r", params={"value": interval}, details={"field": "interval"}
        ) from None


def _get(session: requests.Session, params: dict) -> list:
    base = getattr(settings, "BINANCE_FUTURES_BASE_URL", "").rstrip("/")
    timeout = getattr(settings, "BINANCE_HTTP_TIMEOUT", 10)
    try:
        r = session.get(f"{base}/fapi/v1/klines", params=params, timeout=timeout)
    except requests.RequestException as exc:
        raise ExchangeDataError(
            "klines request failed: %(error)s", params={"error": type(exc).__name__}
        ) from exc
    if r.status_code != 200:
        try:
            body = r.json()
        except ValueError:
            body = {}
        details = {"status": r.status_code, "code": body.get("code"), "msg": body.get("msg")}
        if 400 <= r.status_code < 500 and r.status_code not in (418, 429):
            # A bad request (unknown symbol, bad parameter) is the caller's, not an outage.
            raise ExchangeRejected(
                f"the exchange refused the klines request: {body.get('msg') or r.status_code}",
                details=details,
            )
        raise ExchangeDataError(
            "klines request failed with HTTP %(http)s",
            params={"http": r.status_code},
            details=details,
        )
    return r.json()


def fetch_klines(*, symbol: str, interval: str, start_ms: int, end_ms: int) -> dict:
    """Fetch [start_ms, end_ms) from the exchange, storing only bars not yet stored.

    Incremental: the stored open times of the range are read first and only the missing
    stretches are requested; a bar still open (its close time in the future) is not stored,
    so a later fetch completes it.
    """
    step = interval_ms(interval)
    symbol = symbol.upper()
    start_ms -= start_ms % step
    have = set(
        Kline.objects.filter(
            symbol=symbol, interval=interval, open_time__gte=start_ms, open_time__lt=end_ms
        ).values_list("open_time", flat=True)
    )
    wanted = range(start_ms, end_ms, step)
    missing = [t for t in wanted if t not in have]
    stored = requests_made = 0
    session = requests.Session()
    now_ms = None
    # request each missing stretch in pages of PAGE bars
    runs: list[tuple[int, int]] = []
    for t in missing:
        if runs and t == runs[-1][1] + step:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    for first, last in runs:
        cursor = first
        while cursor <= last:
            page_end = min(last, cursor + (PAGE - 1) * step)
            rows = _get(
                session,
                {
                    "symbol": symbol,
                    "interval": interval,
                    "startTime": cursor,
                    "endTime": page_end + step - 1,
                    "limit": PAGE,
                },
            )
            requests_made += 1
            if now_ms is None:
                now_ms = int(time.time() * 1000)
            objs = [
                Kline(
                    symbol=symbol,
                    interval=interval,
                    open_time=int(r[0]),
                    open=Decimal(r[1]),
                    high=Decimal(r[2]),
                    low=Decimal(r[3]),
                    close=Decimal(r[4]),
                    volume=Decimal(r[5]),
                    close_time=int(r[6]),
                )
                for r in rows
                if first <= int(r[0]) <= last and int(r[6]) < now_ms
            ]
            Kline.objects.bulk_create(objs, ignore_conflicts=True, batch_size=500)
            stored += len(objs)
            if not rows:
                break
            cursor = page_end + step
    gaps = find_gaps(symbol=symbol, interval=interval, start_ms=start_ms, end_ms=end_ms)
    return {
        "symbol": symbol,
        "interval": interval,
        "stored": stored,
        "already_had": len(have),
        "requests": requests_made,
        "gaps": gaps,
    }


def find_gaps(*, symbol: str, interval: str, start_ms: int, end_ms: int) -> list[dict]:
    """Return the stretches of [start_ms, end_ms) with no stored bar: [{from_ms, to_ms, bars}]."""
    step = interval_ms(interval)
    start_ms -= start_ms % step
    times = np.fromiter(
        Kline.objects.filter(
            symbol=symbol.upper(), interval=interval, open_time__gte=start_ms, open_time__lt=end_ms
        )
        .order_by("open_time")
        .values_list("open_time", flat=True),
        dtype=np.int64,
    )
    return gaps_in(times, step, start_ms, end_ms)


def gaps_in(times: np.ndarray, step: int, start_ms: int, end_ms: int) -> list[dict]:
    """Gaps of a sorted open-time array against the expected grid of [start_ms, end_ms)."""
    last_open = end_ms - 1 - (end_ms - 1 - start_ms) % step
    edges = np.concatenate(([start_ms - step], times, [last_open + step]))
    d = np.diff(edges)
    out = []
    for k in np.flatnonzero(d > step):
        lo = int(edges[k] + step)
        hi = int(edges[k + 1] - step)
        out.append({"from_ms": lo, "to_ms": hi, "bars": (hi - lo) // step + 1})
    return out


def load_bars(*, symbol: str, interval: str, start_ms: int, end_ms: int) -> dict[str, np.ndarray]:
    """Stored bars of [start_ms, end_ms) as NumPy arrays (time int64 ms; prices float64)."""
    rows = list(
        Kline.objects.filter(
            symbol=symbol.upper(), interval=interval, open_time__gte=start_ms, open_time__lt=end_ms
        )
        .order_by("open_time")
        .values_list("open_time", "open", "high", "low", "close", "volume")
    )
    if not rows:
        raise NoData(
            gettext_noop(
                "no stored klines for %(symbol)s %(interval)s in the period; fetch them first"
            ),
            params={"symbol": symbol, "interval": interval},
            details={"symbol": symbol, "interval": interval},
        )
    arr = np.array(rows, dtype=object)
    return {
        "time": arr[:, 0].astype(np.int64),
        "open": arr[:, 1].astype(np.float64),
        "high": arr[:, 2].astype(np.float64),
        "low": arr[:, 3].astype(np.float64),
        "close": arr[:, 4].astype(np.float64),
        "volume": arr[:, 5].astype(np.float64),
    }


def stored_series() -> list[dict]:
    """Every stored symbol/interval with its bar count, first/last open time and gaps."""
    from django.db.models import Count, Max, Min

    rows = (
        Kline.objects.values("symbol", "interval")
        .annotate(bars=Count("id"), first=Min("open_time"), last=Max("open_time"))
        .order_by("symbol", "interval")
    )
    out = []
    for r in rows:
        step = INTERVALS.get(r["interval"], 60_000)
        expected = (r["last"] - r["first"]) // step + 1
        out.append({**r, "missing": int(expected - r["bars"])})
    return out
