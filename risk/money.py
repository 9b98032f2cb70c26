"""Decimal formatting of the risk app: the shared one (JSON carries money as plain strings)."""

from __future__ import annotations

from spark_site.money import decimal_text as fmt

__all__ = ["fmt"]
