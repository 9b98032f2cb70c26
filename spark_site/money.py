"""Decimals and money flags at the API edge: read them strictly, write them plainly.

Money never passes through a binary float: the API's JSON parser keeps each JSON number's text
(`JsonNumber`), and `Money(...)` reads a decimal from that text, an integer or a plain decimal
string, then checks digits and places against the column it ends in, so PostgreSQL never sees a
number it cannot store (a 500) and nothing is silently rounded (stored as 0 while echoed).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, WithJsonSchema

# StrictBool is for every flag that can make an order live or change state: JSON true/false
# only. "false", 0, "no" and null are refused (422), never coerced: a loose "false" once placed
# live orders.
__all__ = [
    "JsonNumber",
    "Money",
    "StrictBool",
    "column_decimal",
    "decimal_text",
    "exchange_decimal",
    "json_loads",
    "plain",
    "read_decimal",
]

# The one text form accepted for a decimal string: ASCII digits, an optional leading minus and
# an optional fraction. No spaces, "+", exponent, "_" separators, hex, other scripts' digits,
# "NaN" or "Infinity": each of those was accepted (or crashed) somewhere before.
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
DECIMAL_TEXT_MAX = 64
# Django's SQLite converter's reading of a float (see column_decimal).
_FROM_FLOAT = Context(prec=15).create_decimal_from_float


class JsonNumber(float):
    """A JSON number with a fraction or exponent, remembering the text it was written as."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def json_loads(data: str | bytes) -> Any:
    """Parse JSON keeping each fractional number's text; NaN and Infinity are not JSON."""
    return json.loads(data, parse_float=JsonNumber, parse_constant=_refuse_constant)


def read_decimal(value: Any) -> Decimal:
    """Return value as an exact, finite Decimal, or raise ValueError saying what to send."""
    if isinstance(value, bool):  # bool is an int: True must not become 1
        raise ValueError("a decimal number, not a boolean")
    if isinstance(value, JsonNumber):
        number = Decimal(value.text)
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # Only from Python callers (the API's parser gives JsonNumber): accept a float only when
        # it is exactly the decimal it prints as (1.5, 0.25), never 0.1's binary neighbour.
        if not math.isfinite(value) or Decimal(value) != Decimal(repr(value)):
            raise ValueError("send this decimal as a string: the float is not exact")
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        if len(value) > DECIMAL_TEXT_MAX or not DECIMAL_TEXT.fullmatch(value):
            raise ValueError(
                "a plain decimal such as 12.5 or -0.001: ASCII digits, an optional leading "
                "minus and point; no spaces, '+', exponent, '_' or other digits"
            )
        number = Decimal(value)
    else:
        raise ValueError('a decimal number as a string, e.g. "12.5"')
    if not number.is_finite():
        raise ValueError("a finite decimal number")
    return abs(number) if number.is_zero() else number  # "-0" is 0


def _canonical(number: Decimal) -> Decimal:
    # A JSON number such as 1e2 arrives as Decimal("1E+2"); store and echo it as 100.
    if number.as_tuple().exponent > 0:  # type: ignore[operator]
        return number.quantize(Decimal(1))
    return number


def Money(  # noqa: N802 - a type factory, used where a type is written
    *,
    max_digits: int,
    decimal_places: int,
    gt: int | str | None = None,
    ge: int | str | None = None,
    le: int | str | None = None,
) -> Any:
    """A request decimal that fits DecimalField(max_digits, decimal_places), with bounds.

    Accepts a plain decimal string, an integer, or a JSON number read from its text; more
    places than the column holds are refused, never rounded.
    """
    bounds = {k: Decimal(str(v)) for k, v in (("gt", gt), ("ge", ge), ("le", le)) if v is not None}
    whole = max_digits - decimal_places
    limits = [f"at most {whole} digits before the point and {decimal_places} after it"]
    signs = {"gt": ">", "ge": ">=", "le": "<="}
    limits += [f"{signs[k]} {v}" for k, v in bounds.items()]
    number_schema: dict[str, Any] = {"type": "number"}
    for key, name in (("gt", "exclusiveMinimum"), ("ge", "minimum"), ("le", "maximum")):
        if key in bounds:
            number_schema[name] = float(bounds[key])
    schema = {
        "anyOf": [
            {
                "type": "string",
                "pattern": f"^{DECIMAL_TEXT.pattern}$",
                "maxLength": DECIMAL_TEXT_MAX,
            },
            number_schema,
        ],
        "description": "A decimal (a string is safest): " + ", ".join(limits) + ".",
    }
    return Annotated[
        Decimal,
        BeforeValidator(read_decimal),
        Field(max_digits=max_digits, decimal_places=decimal_places, **bounds),
        AfterValidator(_canonical),
        WithJsonSchema(schema),
    ]


def decimal_text(value: Any) -> str | None:
    """A decimal as a plain string without exponent or trailing zeros ("100", "0.002", "0")."""
    if value is None:
        return None
    number = Decimal(value)
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def plain(value: Any) -> Any:
    """A Decimal as its fixed-point text ("0.0010" stays "0.0010"); None and others unchanged."""
    return None if value is None else (f"{value:f}" if isinstance(value, Decimal) else value)


def exchange_decimal(value: Any) -> Decimal | None:
    """Decimal of an exchange field ("0.001", 5, None, "") or None when it holds no number.

    Lenient on purpose: what the exchange says is read, never refused (read_decimal is the
    strict reader for what a caller sends).
    """
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def column_decimal(value: Any, places: int | None = None) -> Decimal | None:
    """A DecimalField value (or a sum of one) read by raw SQL, as the ORM reads it.

    PostgreSQL hands back an exact Decimal, returned as it is. SQLite hands NUMERIC back as a
    float, int or text: read like Django's SQLite converter (15 significant digits, then the
    column's places), so a raw read and an ORM read of the same row are the same Decimal.
    places=None (a computed sum) keeps the digits without rounding to a column.
    """
    if value is None or isinstance(value, Decimal):
        return value
    number = _FROM_FLOAT(value) if isinstance(value, int | float) else Decimal(value)
    return number.quantize(Decimal(1).scaleb(-places)) if places is not None else number
