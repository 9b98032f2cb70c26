"""Template builtins of every page: `label` (codes in the page's language) and money/numbers."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language

from spark_site.labels import label as label_of
from spark_site.money import exchange_decimal

register = template.Library()


@register.filter
def label(code) -> str:
    """{{ order.status|label }} → "gerçekleşti" on a Turkish page, "filled" in English."""
    return label_of(code)


@register.filter
def usd(value) -> str:
    """USD with 2 decimals in the page's format (1.234,56); '—' when missing."""
    number = exchange_decimal(value)
    if number is None:
        return "—"
    return number_format(number.quantize(Decimal("0.01")), 2, use_l10n=True, force_grouping=True)


ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")


@register.filter
def local_time(value) -> str:
    """A time (datetime or ISO text) in Europe/Istanbul on Turkish pages, UTC (said) in English."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if get_language() == "tr":
        return date_format(value.astimezone(ISTANBUL), "d.m.Y H:i")
    return date_format(value.astimezone(UTC), "Y-m-d H:i") + " UTC"


@register.filter
def num(value) -> str:
    """A decimal in the page's format with its own precision (0,00012 stays 0,00012)."""
    number = exchange_decimal(value)
    if number is None:
        return "—"
    places = max(0, -number.normalize().as_tuple().exponent) if number == number else 0
    return number_format(number, places, use_l10n=True, force_grouping=True)


@register.filter
def fixed(value, places=2) -> str:
    """A decimal to a fixed number of places in the page's format: 1.234,5678 (tr), 1,234.5678
    (en); the live scripts write the same (SparkI18n.fixed)."""
    number = exchange_decimal(value)
    if number is None:
        return "—"
    places = int(places)
    return number_format(
        number.quantize(Decimal(1).scaleb(-places)), places, use_l10n=True, force_grouping=True
    )
