"""Leverage brackets per symbol: the leverage cap and maintenance rate of each notional tier.

Binance publishes one table per symbol (`GET /fapi/v1/leverageBracket`): a position's
maintenance margin is `notional * maintMarginRatio - cum` of the tier its notional falls in,
and a leverage allows at most the `notionalCap` of the last tier whose `initialLeverage` is
still at least that leverage. BTCUSDT and ETHUSDT are Binance's published tables (first seven
tiers); SOLUSDT and BNBUSDT follow the shape of Binance's alt-coin tables with approximate
values. The stand-in's margin, liquidation and leverage checks all read these rows, so the
liquidation estimate a client computes from the brackets matches what the stand-in does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bracket:
    bracket: int
    initial_leverage: int
    floor: Decimal
    cap: Decimal
    rate: Decimal
    cum: Decimal

    def to_api(self) -> dict:
        """Binance sends these as JSON numbers, not strings (unlike the rest of the API)."""
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "notionalCap": int(self.cap),
            "notionalFloor": int(self.floor),
            "maintMarginRatio": float(self.rate),
            "cum": float(self.cum),
        }


def _table(rows: tuple[tuple[int, int, int, str], ...]) -> tuple[Bracket, ...]:
    """Rows of (initialLeverage, floor, cap, ratio); `cum` follows Binance's rule
    cum_n = cum_(n-1) + floor_n * (ratio_n - ratio_(n-1)), so tiers join without a jump."""
    out: list[Bracket] = []
    cum = prev = Decimal(0)
    for i, (lev, floor, cap, ratio) in enumerate(rows, start=1):
        rate = Decimal(ratio)
        cum += Decimal(floor) * (rate - prev)
        prev = rate
        out.append(Bracket(i, lev, Decimal(floor), Decimal(cap), rate, cum))
    return tuple(out)


BRACKETS: dict[str, tuple[Bracket, ...]] = {
    "BTCUSDT": _table(
        (
            (125, 0, 50_000, "0.004"),
            (100, 50_000, 600_000, "0.005"),
            (75, 600_000, 3_000_000, "0.0065"),
            (50, 3_000_000, 12_000_000, "0.01"),
            (25, 12_000_000, 70_000_000, "0.02"),
            (20, 70_000_000, 100_000_000, "0.025"),
            (10, 100_000_000, 230_000_000, "0.05"),
        )
    ),
    "ETHUSDT": _table(
        (
            (100, 0, 50_000, "0.005"),
            (75, 50_000, 600_000, "0.0065"),
            (50, 600_000, 3_000_000, "0.01"),
            (25, 3_000_000, 12_000_000, "0.02"),
            (20, 12_000_000, 30_000_000, "0.025"),
            (10, 30_000_000, 100_000_000, "0.05"),
            (5, 100_000_000, 200_000_000, "0.1"),
        )
    ),
    "SOLUSDT": _table(
        (
            (75, 0, 5_000, "0.005"),
            (50, 5_000, 50_000, "0.01"),
            (25, 50_000, 600_000, "0.02"),
            (20, 600_000, 1_200_000, "0.025"),
            (10, 1_200_000, 6_000_000, "0.05"),
            (5, 6_000_000, 12_000_000, "0.1"),
            (4, 12_000_000, 15_000_000, "0.125"),
        )
    ),
    "BNBUSDT": _table(
        (
            (75, 0, 5_000, "0.005"),
            (50, 5_000, 50_000, "0.01"),
            (25, 50_000, 400_000, "0.02"),
            (20, 400_000, 1_000_000, "0.025"),
            (10, 1_000_000, 5_000_000, "0.05"),
            (5, 5_000_000, 10_000_000, "0.1"),
            (4, 10_000_000, 12_000_000, "0.125"),
        )
    ),
}


def max_leverage(symbol: str) -> int:
    """The first tier's leverage: the most a symbol allows at any size."""
    return BRACKETS[symbol][0].initial_leverage


def tier(symbol: str, notional: Decimal) -> Bracket:
    """The tier a position of this notional (absolute, USDT) falls in."""
    notional = abs(notional)
    rows = BRACKETS[symbol]
    for row in rows:
        if notional <= row.cap:
            return row
    return rows[-1]


def maint_margin(symbol: str, notional: Decimal) -> Decimal:
    """Maintenance margin of a position: notional * ratio - cum of its tier."""
    row = tier(symbol, notional)
    return abs(notional) * row.rate - row.cum


def max_notional(symbol: str, leverage: int) -> Decimal:
    """The largest position notional a leverage allows (positionRisk `maxNotionalValue`)."""
    cap = Decimal(0)
    for row in BRACKETS[symbol]:
        if row.initial_leverage >= leverage:
            cap = row.cap
    return cap


def to_api(symbol: str) -> dict:
    return {
        "symbol": symbol,
        "notionalCoef": 1.0,
        "brackets": [row.to_api() for row in BRACKETS[symbol]],
    }
