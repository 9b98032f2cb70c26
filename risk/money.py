"""Decimal formatting shared by the risk app (JSON carries money as plain strings)."""

from __future__ import annotations

from decimal import Decimal


def fmt(value) -> str | None:
    """Decimal as a plain string without exponent or trailing zeros ("100", "150.2")."""
    if value is None:
        return None
    value = Decimal(value)
    if value == 0:
        return "0"
    return format(value.normalize(), "f")
