"""The account's position mode (one-way or hedge), read from the exchange and never assumed.

Spark's risk gate, positions and closes are one-way (positionSide BOTH). A hedge-mode account
keeps a LONG and a SHORT position per symbol that the gate does not count, so until hedge mode is
supported every order (live or dry run), canary confirm and close is refused with 409
HEDGE_MODE_UNSUPPORTED while the account is in hedge mode. A dry run is refused too: it would be
simulated against a position Spark cannot see.

When it is read: an order finds no reading younger than SPARK_POSITION_MODE_MAX_AGE seconds;
every user-stream (re)connect (start-up included); a -4061 answer ("position side does not match
user's setting"); a page showing the banner with a stale reading. Side positions (LONG/SHORT) in a
positions read or an ACCOUNT_UPDATE mark the account hedge at once: they are kept for the banner
and the status, never dropped. The reading lives in the cache (Redis in scale-out, so the stream
process and every server agree), keyed by environment, base URL and API key.
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
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import record
from futures.binance.rest import client_from_settings
from spark_site.errors import DomainError
from spark_site.exchange_env import environment_of

logger = logging.getLogger(__name__)

_REFRESH_LOCK = threading.Lock()
POSITION_SIDE_MISMATCH = -4061  # Binance: "Order's position side does not match user's setting."
SIDE_FIELDS = (
    ("positionAmt", ("positionAmt", "pa")),
    ("entryPrice", ("entryPrice", "ep")),
    ("unrealizedPnl", ("unRealizedProfit", "unrealizedProfit", "up")),
)


class HedgeModeUnsupported(DomainError):
    """The account is in hedge mode; Spark trades one-way accounts only (for now)."""

    status = 409
    code = "HEDGE_MODE_UNSUPPORTED"


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
            "supported": not self.dual,
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
    return _store(
        PositionMode(dual=dual, checked_at=datetime.now(UTC), source=source, side_positions=kept)
    )


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

    They are kept (per symbol and side, zero rows dropped) for the banner and the status, so a
    hedge position is reported even though the one-way gate cannot use it.
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


def unsupported_error(mode: PositionMode) -> HedgeModeUnsupported:
    return HedgeModeUnsupported(
        _(
            "The Binance account is in hedge mode (separate LONG and SHORT positions), which "
            "Spark does not support yet: nothing was sent. Switch the account to one-way mode "
            "(Binance: Preferences → Position Mode → One-way Mode) and try again."
        ),
        details={
            "dualSidePosition": True,
            "checkedAt": mode.checked_at.isoformat(),
            "sidePositions": [dict(p) for p in mode.side_positions],
        },
    )


def require_one_way(
    *, user, action: str, target: str, payload: dict | None = None, max_age: float | None = None
) -> None:
    """Refuse (409 HEDGE_MODE_UNSUPPORTED, audited) unless the account is in one-way mode."""
    mode = position_mode_current(max_age=max_age)
    if not mode.dual:
        return
    exc = unsupported_error(mode)
    record(
        actor=user,
        action=action,
        target=target,
        payload={
            **(payload or {}),
            "error": {"code": exc.code, "message": exc.message, "dualSidePosition": True},
        },
        outcome=AuditEntry.Outcome.REJECTED,
    )
    raise exc


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
