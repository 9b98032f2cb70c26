"""Binance's error shape: an HTTP status plus `{"code": -NNNN, "msg": "..."}`."""

from __future__ import annotations


class BinanceError(Exception):
    """A rejection the way Binance words it; raised anywhere, rendered once by the app."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict | None = None):
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def malformed(name: str) -> BinanceError:
    return BinanceError(-1102, f"Parameter '{name}' was not sent, was empty/null, or malformed.")


def illegal_chars(name: str, legal: str) -> BinanceError:
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def bad_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def bad_precision(name: str) -> BinanceError:
    return BinanceError(-1111, f"Precision is over the maximum defined for this asset ({name}).")


UNKNOWN_ORDER_QUERY = (-2013, "Order does not exist.")
UNKNOWN_ORDER_CANCEL = (-2011, "Unknown order sent.")
UNKNOWN_EXECUTION_MSG = "Unknown error, please check your request or try again later."
SERVICE_UNAVAILABLE_BODIES = (
    (-1001, "Service Unavailable."),
    (-1001, "Internal error; unable to process your request. Please try again."),
)
