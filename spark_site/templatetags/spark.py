"""Template builtins of every page: `label` (codes in the page's language) and money/numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from spark_site.labels import label as label_of

register = template.Library()


@register.filter
def label(code) -> str:
    """{{ order.status|label }} → "gerçekleşti" on a Turkish page, "filled" in English."""
    return label_of(code)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def usd(value) -> str:
    """USD with 2 decimals in the page's format (1.234,56); '—' when missing."""
    number = _decimal(value)
    if number is None:
        return "—"
    return number_format(number.quantize(Decimal("0.01")), 2, use_l10n=True, force_grouping=True)


@register.filter
def num(value) -> str:
    """A decimal in the page's format with its own precision (0,00012 stays 0,00012)."""
    number = _decimal(value)
    if number is None:
        return "—"
    places = max(0, -number.normalize().as_tuple().exponent) if number == number else 0
    return number_format(number, places, use_l10n=True, force_grouping=True)
