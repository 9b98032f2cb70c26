"""Formatting of the portfolio page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from portfolio import fx

register = template.Library()


@register.filter
def percent(fraction: str | None) -> str:
    """'0.251234' -> '%25,12' on a Turkish page, '25.12%' in English (the API keeps fractions)."""
    try:
        value = (Decimal(fraction) * 100).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    shown = number_format(value, 2, use_l10n=True)
    return f"%{shown}" if get_language() == "tr" else f"{shown}%"


@register.simple_tag
def usdttry() -> dict:
    """BTCTurk's USDTTRY for a page that shows USD totals (see portfolio/fx.py): rate, time,
    status ok/stale/unavailable, and ``when`` (the time as a datetime, for the date filter). A
    tag, so a page of any app can show TRY without importing the portfolio app."""
    quote = fx.usdttry()
    return {**quote.as_dict(), "when": quote.at}
