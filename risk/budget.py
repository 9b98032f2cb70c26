"""The daily loss rule: one pure function shared by the gate, the breaker, the status, the metric.

An alert that reads a different figure than the gate fires while the status says there is room
left (seen: RiskDailyLossBudgetLow firing after an operator closed the breaker, because the metric
exported the raw day's PnL while the gate counted from the reset). Everything that speaks about
the daily loss budget calls loss_budget_of(), nothing else does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal("0")

# Ledger kinds (PnLEntry.Kind values) and which of them each counting mode adds up.
REALIZED, COMMISSION, FUNDING, TRANSFER, OTHER = (
    "realized",
    "commission",
    "funding",
    "transfer",
    "other",
)
COUNTED_KINDS = {
    "net": (REALIZED, COMMISSION, FUNDING),
    "realized": (REALIZED,),
}
PARTS = (REALIZED, COMMISSION, FUNDING)


@dataclass(frozen=True)
class LossBudget:
    """A trading day's PnL by part, what counts against the limit, and what is left."""

    day: date
    counts: str  # "net" or "realized"
    parts: dict[str, Decimal]  # realized, commission, funding of the whole day
    pnl: Decimal  # the day's PnL under the counting mode (before any breaker reset)
    counted: Decimal  # the PnL the limit counts: pnl minus what an operator acknowledged
    limit: Decimal
    remaining: Decimal

    def __getitem__(self, key: str):  # the dict-style reads older callers use
        return getattr(self, key)


def loss_budget_of(
    *,
    day: date,
    sums: Mapping[str, Decimal | None],
    limit: Decimal,
    counts: str,
    acknowledged_day: date | None = None,
    acknowledged_pnl: Decimal | None = None,
) -> LossBudget:
    """Return the loss budget of `day` from the ledger's sums per kind.

    counts names the kinds that count ("net": realized + commission + funding; "realized").
    When an operator closed the breaker on this day with the budget spent, the PnL accepted at
    that moment (acknowledged_pnl, in the same counting mode) stops counting: the rest of the day
    gets a fresh budget measured from there.
    """
    if counts not in COUNTED_KINDS:
        raise ValueError(f"counts must be one of {sorted(COUNTED_KINDS)}, got {counts!r}")
    parts = {kind: Decimal(sums.get(kind) or ZERO) for kind in PARTS}
    pnl = sum((parts[kind] for kind in COUNTED_KINDS[counts]), ZERO)
    counted = pnl
    if acknowledged_day == day:
        counted = pnl - Decimal(acknowledged_pnl or ZERO)
    return LossBudget(
        day=day,
        counts=counts,
        parts=parts,
        pnl=pnl,
        counted=counted,
        limit=limit,
        remaining=limit + counted,
    )
