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
