"""{% risk_notes %}: the trading-day boundary and the limits conflicts, for the risk card."""

from __future__ import annotations

import zoneinfo
from datetime import UTC

from django import template

from accounts.permissions import can
from risk.conflicts import limit_conflicts
from risk.models import RiskLimits

register = template.Library()
ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")


@register.inclusion_tag("risk/_notes.html", takes_context=True)
def risk_notes(context) -> dict:
    limits = RiskLimits.load()
    start, _end = limits.trading_day_bounds(limits.trading_day())
    return {
        "day_start_utc": start.astimezone(UTC).strftime("%H:%M"),
        "day_start_istanbul": start.astimezone(ISTANBUL).strftime("%H:%M"),
        "conflicts": limit_conflicts(limits),
        "can_edit": can(context["request"].user, "risk.change_risklimits"),
    }
