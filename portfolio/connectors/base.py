"""What every portfolio connector returns, and the one error it raises."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

BINANCE_SPOT = "binance_spot"
BINANCE_FUTURES = "binance_futures"
BTCTURK = "btcturk"
EXCHANGES = (BINANCE_SPOT, BINANCE_FUTURES, BTCTURK)
LABELS = {BINANCE_SPOT: "Binance Spot", BINANCE_FUTURES: "Binance Futures", BTCTURK: "BTCTurk"}


class SourceError(Exception):
    """One exchange could not be read; `code` is the HTTP status, exchange code or a word."""

    def __init__(self, exchange: str, code: str, message: str, *, counted: bool = False):
        super().__init__(f"{exchange}: {code} {message}")
        self.exchange = exchange
        self.code = str(code)
        self.message = message
        # True when the Binance connector already counted the failed call in
        # spark_exchange_api_error_total (the refresh must not count it twice).
        self.counted = counted


@dataclass(frozen=True)
class Holding:
    """One asset's balance on one exchange (quantity = free + locked, or margin balance)."""

    asset: str
    quantity: Decimal
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


@dataclass
class SourceFetch:
    """A successful read of one exchange: balances plus the USD price of each asset it knows."""

    exchange: str
    holdings: list[Holding]
    prices_usd: dict[str, Decimal]
    fetched_at: datetime
    extra: dict = field(default_factory=dict)


A = TypeVar("A")
B = TypeVar("B")


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Run second on a helper thread while first runs here; return both or raise first's error.

    A source's two reads (balances, prices) then cost the slower one, not their sum.
    """
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = second()
        except BaseException as exc:  # handed over to the caller below
            box["error"] = exc

    helper = threading.Thread(target=run, name="portfolio-read", daemon=True)
    helper.start()
    try:
        a = first()
    finally:
        helper.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return a, box["value"]  # type: ignore[return-value]


def to_decimal(value: object) -> Decimal:
    """Parse an exchange amount: str or number, `.` or `,` decimals ("27223,72"), never float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise InvalidOperation(f"not an amount: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # only reached if a caller parsed JSON without parse_float=Decimal; repr is the shortest
        # round-tripping text, so 0.1 stays "0.1" rather than 0.1000000000000000055...
        return Decimal(repr(value))
    text = str(value).strip().replace(" ", "")
    if "," in text and "." in text:
        # "1.234,56" (European thousands) or "1,234.56" (English thousands): the last one wins
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    d = Decimal(text)
    if not d.is_finite():
        raise InvalidOperation(f"not a finite amount: {value!r}")
    return d


def parse_json(text: str) -> object:
    """json.loads with every number as Decimal (BTCTurk sends prices as JSON numbers)."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)
