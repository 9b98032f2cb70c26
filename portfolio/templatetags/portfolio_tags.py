"""Formatting of the portfolio page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def percent(fraction: str | None) -> str:
    """'0.251234' -> '25.12%' (the API keeps the fraction; only the page shows percents)."""
    try:
        return f"{(Decimal(fraction) * 100).quantize(Decimal('0.01'))}%"
    except (InvalidOperation, TypeError, ValueError):
        return "—"


@register.simple_tag
def usdttry() -> dict:
    """BTCTurk's USDTTRY for a page that shows USD totals (see portfolio/fx.py): rate, time,
    status ok/stale/unavailable. A tag, so a page of any app can show TRY without importing
    the portfolio app."""
    from portfolio import fx

    return fx.usdttry().as_dict()
