"""The account's position mode (one-way or hedge), read from the exchange and never assumed.

A one-way account has one position per symbol (positionSide BOTH); a hedge-mode account a LONG
and a SHORT one, each stored as its own PositionSnapshot row and gated per side and net
(risk/gate.py). Every order (live or dry run) is checked against the mode it is read to be
(check_order_side): on a one-way account positionSide is BOTH or absent (LONG/SHORT: 409
POSITION_SIDE_MISMATCH); on a hedge account it is LONG or SHORT (absent/BOTH: 400) and
reduceOnly is refused (400), as Binance refuses it there. The canary follows the mode too: its
order, flat check and close are on one side (canary/services.py).

When it is read: an order finds no reading younger than SPARK_POSITION_MODE_MAX_AGE seconds; every
user-stream (re)connect (start-up included); a -4061 answer ("position side does not match user's
setting"); the dashboard (its mode indicator) with a stale reading. Side positions (LONG/SHORT) in
a positions read or an ACCOUNT_UPDATE mark the account hedge at once (they are also kept with the
reading for the status; the positions themselves are PositionSnapshot rows). After a reading, the
stored rows of the other mode are zeroed (zero_other_mode): Binance switches only with no position,
so they are stale and must never be counted. The reading lives in the cache (Redis in scale-out, so
the stream process and every server agree), keyed by environment, base URL and API key.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_noop

from audit.models import AuditEntry
from audit.services import record
from futures import broadcast
from futures.binance.rest import client_from_settings
from futures.models import PositionSide, PositionSnapshot
from spark_site.errors import BadRequest, DomainError
from spark_site.exchange_env import current_environment, environment_of

logger = logging.getLogger(__name__)

_REFRESH_LOCK = threading.Lock()
POSITION_SIDE_MISMATCH = -4061  # Binance: "Order's position side does not match user's setting."
SIDE_FIELDS = (
    ("positionAmt", ("positionAmt", "pa")),
    ("entryPrice", ("entryPrice", "ep")),
    ("unrealizedPnl", ("unRealizedProfit", "unrealizedProfit", "up")),
)


class PositionSideMismatch(DomainError):
    """positionSide LONG/SHORT sent for a one-way account (or the exchange said -4061)."""

    status = 409
    code = "POSITION_SIDE_MISMATCH"


class PositionSideRequired(BadRequest):
    """A hedge-mode account: an order must name the side (LONG or SHORT) it opens or closes."""

    code = "POSITION_SIDE_REQUIRED"


class ReduceOnlyInHedgeMode(BadRequest):
    """Binance refuses reduceOnly in hedge mode: a SELL on LONG or a BUY on SHORT closes."""

    code = "REDUCE_ONLY_IN_HEDGE_MODE"


# What check_order_side raises (each audited there).
SIDE_REFUSALS = (PositionSideMismatch, PositionSideRequired, ReduceOnlyInHedgeMode)

SIDE_FOR_ONE_WAY = gettext_noop(
    "positionSide %(side)s is for hedge mode, but the Binance account is in one-way mode: "
    "send positionSide BOTH or leave it out."
)
SIDE_FOR_HEDGE = gettext_noop(
    "The Binance account is in hedge mode: positionSide must be LONG or SHORT (got %(side)s)."
)
NO_REDUCE_ONLY_IN_HEDGE = gettext_noop(
    "The Binance account is in hedge mode, where Binance refuses reduceOnly: close a side with "
    "a SELL on positionSide LONG or a BUY on positionSide SHORT, without reduceOnly."
)


@dataclass(frozen=True)
class PositionMode:
    """One reading of the mode: hedge or not, when, from what, and the side positions seen."""

    dual: bool
    checked_at: datetime
    source: str
    side_positions: tuple[dict, ...] = field(default=())

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.checked_at).total_seconds()

    def as_dict(self) -> dict:
        return {
            "mode": "hedge" if self.dual else "one-way",
            "dualSidePosition": self.dual,
            "checkedAt": self.checked_at.isoformat(),
            "source": self.source,
            "sidePositions": [dict(p) for p in self.side_positions],
        }


def _key() -> str:
    base = settings.BINANCE_FUTURES_BASE_URL
    digest = hashlib.sha256(f"{base}|{settings.BINANCE_API_KEY}".encode()).hexdigest()[:24]
    return f"futures:position-mode:{environment_of(base)}:{digest}"


def _load() -> PositionMode | None:
    raw = cache.get(_key())
    if not raw:
        return None
    return PositionMode(
        dual=bool(raw["dual"]),
        checked_at=datetime.fromisoformat(raw["checkedAt"]),
        source=raw.get("source", ""),
        side_positions=tuple(raw.get("sidePositions") or ()),
    )


def _store(mode: PositionMode) -> PositionMode:
    before = _load()
    cache.set(
        _key(),
        {
            "dual": mode.dual,
            "checkedAt": mode.checked_at.isoformat(),
            "source": mode.source,
            "sidePositions": list(mode.side_positions),
        },
        timeout=None,
    )
    if before is None or before.dual != mode.dual:
        # A change of mode is an operator's business: it stops (or resumes) all trading.
        level = logging.WARNING if mode.dual else logging.INFO
        logger.log(level, "account position mode: %s (%s)", mode.as_dict()["mode"], mode.source)
        if before is not None or mode.dual:  # a first reading of one-way is no news
            record(
                actor="system",
                action="position_mode.changed",
                target=environment_of(settings.BINANCE_FUTURES_BASE_URL),
                payload={
                    "from": before.as_dict()["mode"] if before is not None else "unknown",
                    **mode.as_dict(),
                },
            )
    return mode


def position_mode_known() -> PositionMode | None:
    """The last reading, however old (no network): for pages and status."""
    return _load()


def position_mode_refresh(*, source: str, client=None) -> PositionMode:
    """Read the mode from the exchange now and keep it (side positions are kept while hedge)."""
    if client is None:
        client = client_from_settings()
    dual = client.position_mode()
    kept: tuple[dict, ...] = ()
    if dual:
        # Hedge: what the sides hold is what the banner and the status report.
        known = _known_sides()
        try:
            kept = _merge(known, client.positions())
        except DomainError:
            logger.warning("hedge-mode positions could not be read", exc_info=True)
            kept = tuple(known[k] for k in sorted(known))
    zero_other_mode(dual)
    return _store(
        PositionMode(dual=dual, checked_at=datetime.now(UTC), source=source, side_positions=kept)
    )


def zero_other_mode(dual: bool) -> int:
    """Zero the stored positions of the other mode (BOTH rows on a hedge account, LONG/SHORT
    rows on a one-way one): Binance switches the mode only with no position, so such a row is
    stale, and the gate and the pages must never count it. The number of rows zeroed."""
    stale = PositionSnapshot.objects.filter(environment=current_environment())
    if dual:
        stale = stale.filter(position_side=PositionSide.BOTH)
    else:
        stale = stale.exclude(position_side=PositionSide.BOTH)
    stale = stale.exclude(
        Q(position_amt=0) & (Q(rest_position_amt=0) | Q(rest_position_amt__isnull=True))
    )
    rows = list(stale)
    if not rows:
        return 0
    zero = Decimal(0)
    PositionSnapshot.objects.filter(pk__in=[r.pk for r in rows]).update(
        position_amt=zero, rest_position_amt=zero, unrealized_pnl=zero, source=f"mode:{dual}"
    )
    for row in rows:
        row.position_amt = row.rest_position_amt = row.unrealized_pnl = zero
    logger.info("position mode %s: zeroed %d stale rows", "hedge" if dual else "one-way", len(rows))
    transaction.on_commit(lambda: broadcast.publish_positions(rows))
    return len(rows)


def position_mode_current(*, max_age: float | None = None) -> PositionMode:
    """The mode, read again when the last reading is older than max_age seconds."""
    if max_age is None:
        max_age = float(settings.SPARK_POSITION_MODE_MAX_AGE)
    known = _load()
    if known is not None and known.age_seconds() <= max_age:
        return known
    # One read per process when it goes stale: 30 concurrent orders must not each spend 30 of
    # the exchange's request weight on the same question.
    with _REFRESH_LOCK:
        again = _load()
        if again is not None and again.age_seconds() <= max_age:
            return again
        return position_mode_refresh(source="order" if known is None else "stale")


def position_mode_forget() -> None:
    """Drop the reading: the next order reads the mode again."""
    cache.delete(_key())


def side_positions_seen(rows: list[dict], *, source: str) -> None:
    """LONG/SHORT rows from a positions read or an ACCOUNT_UPDATE: the account is in hedge mode.

    They are kept with the reading (per symbol and side, zero rows dropped) for the status; the
    gate and the positions list read the PositionSnapshot rows position_sync stores.
    """
    if not rows:
        return
    known = _known_sides()
    kept = _merge(known, rows)
    logger.warning("hedge-mode positions seen (%s): %s", source, [p["symbol"] for p in kept])
    _store(
        PositionMode(
            dual=True,
            checked_at=datetime.now(UTC),
            source=f"positions:{source}"[:40],
            side_positions=kept,
        )
    )


def _known_sides() -> dict[tuple[str, str], dict]:
    """The side positions of the last reading, by (symbol, positionSide)."""
    before = _load()
    return {(p["symbol"], p["positionSide"]): p for p in (before.side_positions if before else ())}


def _merge(kept: dict[tuple[str, str], dict], rows: list[dict]) -> tuple[dict, ...]:
    """Fold LONG/SHORT rows (REST or stream shape) into kept; a zero row removes its side."""
    for row in rows:
        symbol = row.get("symbol") or row.get("s")
        side = row.get("positionSide") or row.get("ps")
        if not symbol or side not in ("LONG", "SHORT"):
            continue
        entry = {"symbol": symbol, "positionSide": side}
        for name, keys in SIDE_FIELDS:
            entry[name] = next((str(row[k]) for k in keys if row.get(k) not in (None, "")), None)
        amount = entry["positionAmt"]
        if amount is None or _is_zero(amount):
            kept.pop((symbol, side), None)
        else:
            kept[(symbol, side)] = entry
    return tuple(kept[k] for k in sorted(kept))


def _is_zero(amount: str) -> bool:
    try:
        return Decimal(amount) == 0
    except InvalidOperation:
        return False


def check_order_side(
    *,
    user,
    action: str,
    target: str,
    position_side: str,
    reduce_only: bool,
    payload: dict | None = None,
    max_age: float | None = None,
) -> PositionMode:
    """The mode, once the order's positionSide and reduceOnly fit it; else refuse (audited).

    One-way: positionSide BOTH (LONG/SHORT is 409 POSITION_SIDE_MISMATCH). Hedge: LONG or
    SHORT (BOTH is 400 POSITION_SIDE_REQUIRED) and no reduceOnly (400), as Binance has it.
    """
    mode = position_mode_current(max_age=max_age)
    exc = side_refusal(mode, position_side=position_side, reduce_only=reduce_only)
    if exc is None:
        return mode
    record(
        actor=user,
        action=action,
        target=target,
        payload={
            **(payload or {}),
            "positionSide": position_side,
            "error": {"code": exc.code, "message": exc.message, **exc.details},
        },
        outcome=AuditEntry.Outcome.REJECTED,
    )
    raise exc


def side_refusal(
    mode: PositionMode, *, position_side: str, reduce_only: bool
) -> DomainError | None:
    """Why an order with this positionSide and reduceOnly does not fit mode (None: it fits)."""
    shown = mode.as_dict()["mode"]
    if not mode.dual:
        if position_side == PositionSide.BOTH:
            return None
        return PositionSideMismatch(
            SIDE_FOR_ONE_WAY,
            params={"side": position_side},
            details={
                "positionMode": shown,
                "fields": [{"field": "positionSide", "message": "BOTH (one-way account)"}],
            },
        )
    if position_side not in (PositionSide.LONG, PositionSide.SHORT):
        return PositionSideRequired(
            SIDE_FOR_HEDGE,
            params={"side": position_side},
            details={
                "positionMode": shown,
                "fields": [{"field": "positionSide", "message": "LONG or SHORT (hedge account)"}],
            },
        )
    if reduce_only:
        return ReduceOnlyInHedgeMode(
            NO_REDUCE_ONLY_IN_HEDGE,
            params={},
            details={
                "positionMode": shown,
                "fields": [{"field": "reduceOnly", "message": "not allowed in hedge mode"}],
            },
        )
    return None


def mismatch_after_4061(position_side: str) -> DomainError:
    """The exchange answered -4061: read the mode again and say what the order should carry."""
    mode = after_side_mismatch()
    refusal = None
    if mode is not None:
        refusal = side_refusal(mode, position_side=position_side, reduce_only=False)
    if refusal is None:
        refusal = PositionSideMismatch(
            gettext_noop(
                "Binance refused positionSide %(side)s: it does not match the account's "
                "position mode. Nothing was executed; the mode is read again."
            ),
            params={"side": position_side},
            details={"fields": [{"field": "positionSide", "message": "does not match"}]},
        )
    refusal.details["exchangeCode"] = POSITION_SIDE_MISMATCH
    return refusal


def after_side_mismatch() -> PositionMode | None:
    """A -4061 answer: the mode may have changed since the last reading; read it again."""
    try:
        return position_mode_refresh(source="order:-4061")
    except DomainError:
        position_mode_forget()
        return None


def position_mode_for_page() -> PositionMode | None:
    """The reading a page shows: read again when stale; the last one if the exchange is down."""
    try:
        return position_mode_current()
    except Exception:  # a page must render even when the exchange (or its key) cannot answer
        logger.warning("position mode could not be read for a page", exc_info=True)
        return _load()
