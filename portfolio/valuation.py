"""Pure valuation: holdings x USD prices -> asset values, exchange totals and allocation shares."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from portfolio.connectors.base import Holding

CENT8 = Decimal("0.00000001")  # values and totals are kept to 8 decimals of a USD
SHARE = Decimal("0.000001")
PRICE = Decimal("1E-18")  # the stored precision of a USD price (DecimalField(40, 18))


def usd(value: Decimal) -> Decimal:
    """Round a USD amount to 8 decimals (half-even), the precision every stored value has."""
    return value.quantize(CENT8, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class AssetValue:
    asset: str
    quantity: Decimal
    free: Decimal
    locked: Decimal
    price_usd: Decimal | None
    value_usd: Decimal | None  # None: no USD route for this asset on this exchange


def value_holdings(holdings: list[Holding], prices_usd: dict[str, Decimal]) -> list[AssetValue]:
    """Value each holding at its exchange's USD price; assets without one stay unvalued."""
    out = []
    for h in holdings:
        price = prices_usd.get(h.asset)
        if price is None:
            out.append(AssetValue(h.asset, h.quantity, h.free, h.locked, None, None))
            continue
        value = usd(h.quantity * price)  # from the exact price, before it is rounded for storage
        stored = price.quantize(PRICE, rounding=ROUND_HALF_EVEN) if price.adjusted() < 21 else price
        out.append(AssetValue(h.asset, h.quantity, h.free, h.locked, stored, value))
    return out


def share(part: Decimal | None, total: Decimal) -> Decimal:
    """part / total as a fraction with 6 decimals (0 when either is missing or zero)."""
    if not part or not total:
        return Decimal("0.000000")
    return (part / total).quantize(SHARE, rounding=ROUND_HALF_EVEN)
