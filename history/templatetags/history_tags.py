"""Numbers on history pages in the reader's locale (tr: 1.234,56), from their Decimal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def money(value) -> str:
    """An amount with two places and grouping: 1234.5 -> '1.234,50' on a Turkish page."""
    number = _decimal(value)
    if number is None:
        return "—"
    return number_format(number.quantize(Decimal("0.01")), 2, force_grouping=True)


@register.filter
def amount(value) -> str:
    """A price or quantity at its own precision, grouped: 95000.5 -> '95.000,5'."""
    number = _decimal(value)
    if number is None:
        return "—"
    text = format(number.normalize(), "f") if number else "0"
    places = len(text.split(".")[1]) if "." in text else 0
    return number_format(Decimal(text), places, force_grouping=True)


@register.filter
def full(value) -> str:
    """The exact amount for a title attribute (hover), in the page's locale."""
    return amount(value)


@register.filter
def times(value, other):
    """value × other as Decimals (a fill's quote value), None when either is missing."""
    a, b = _decimal(value), _decimal(other)
    return None if a is None or b is None else a * b
