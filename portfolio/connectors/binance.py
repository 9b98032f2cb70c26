"""Binance Spot and USD-M Futures balances for the portfolio, over the shared BinanceHttp."""

from __future__ import annotations

import logging
import time
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from futures.binance.errors import BinanceError, ExchangeRejected, metric_code
from futures.binance.http import BinanceHttp
from futures.binance.rest import BinanceFutures, client_from_settings
from portfolio.connectors.base import (
    BINANCE_FUTURES,
    BINANCE_SPOT,
    Holding,
    SourceError,
    SourceFetch,
    both,
    to_decimal,
)

logger = logging.getLogger(__name__)

QUOTES = ("USDT", "BTC", "ETH", "BNB")  # routes to USD, tried in this order


def source_error(exchange: str, exc: BinanceError) -> SourceError:
    """A typed Binance error as the portfolio's error, with a bounded metric code."""
    return SourceError(
        exchange, metric_code(exc), exc.binance_msg, counted=getattr(exc, "counted", False)
    )


def usd_prices(tickers: list[dict]) -> dict[str, Decimal]:
    """USD price per asset from Binance `{symbol, price}` tickers.

    USDT is 1; X is priced through XUSDT, else X/BTC (ETH, BNB) times that quote's USDT price,
    else through the inverse pair USDTX (fiat such as TRY: USDTTRY).
    """
    book: dict[str, Decimal] = {}
    for t in tickers:
        try:
            price = to_decimal(t["price"])
        except (KeyError, InvalidOperation, ValueError):
            continue
        if price > 0:
            book[str(t["symbol"]).upper()] = price
    prices: dict[str, Decimal] = {"USDT": Decimal(1)}
    for symbol, price in book.items():
        if symbol.endswith("USDT") and len(symbol) > 4:
            prices.setdefault(symbol[:-4], price)
    for symbol, price in book.items():
        for quote in QUOTES[1:]:
            base = symbol[: -len(quote)]
            if symbol.endswith(quote) and base and base not in prices and quote in prices:
                prices[base] = price * prices[quote]
    for symbol, price in book.items():
        if symbol.startswith("USDT") and len(symbol) > 4:
            prices.setdefault(symbol[4:], Decimal(1) / price)
    return prices


class SpotClient(BinanceHttp):
    """Binance Spot: the signed account (`GET /api/v3/account`) and `GET /api/v3/ticker/price`."""

    exchange = BINANCE_SPOT
    time_path = "/api/v3/time"
    optional_paths = frozenset({time_path})  # sync_time falls back to the local clock on 404
    weight_limit = 6000

    def sync_time(self) -> int:
        try:
            return super().sync_time()
        except BinanceError as exc:
            if exc.http_status != 404:
                raise
            # A host without the time endpoint (the stand-in): sign with the local clock; a
            # skew past recvWindow still fails loudly with -1021.
            logger.warning("%s has no %s: signing with the local clock", self, self.time_path)
            self.time_offset_ms = 0
            self._time_synced_at = time.monotonic()  # ask again at the next resync, not per call
            return 0

    def balances(self) -> list[Holding]:
        body = self.request("GET", "/api/v3/account", {"omitZeroBalances": True}, signed=True)
        out = []
        for row in body.get("balances", []):
            free, locked = to_decimal(row["free"]), to_decimal(row["locked"])
            if free or locked:
                out.append(Holding(str(row["asset"]).upper(), free + locked, free, locked))
        return out

    def tickers(self) -> list[dict]:
        return self.request("GET", "/api/v3/ticker/price")

    def fetch(self) -> SourceFetch:
        try:
            if self.time_offset_ms is None:
                self.sync_time()  # once, before the two reads race to do it
            holdings, tickers = both(self.balances, self.tickers)
            prices = usd_prices(tickers)
        except BinanceError as exc:
            raise source_error(self.exchange, exc) from exc
        except (KeyError, InvalidOperation, ValueError, TypeError) as exc:
            raise SourceError(self.exchange, "BAD_PAYLOAD", type(exc).__name__) from exc
        return SourceFetch(self.exchange, holdings, prices, timezone.now())


class FuturesSource:
    """Binance USD-M Futures: each margin asset at its margin balance (wallet + unrealized PnL)."""

    exchange = BINANCE_FUTURES

    def __init__(self, client: BinanceFutures):
        self.client = client

    def fetch(self) -> SourceFetch:
        try:
            account = self.client.account()
            holdings = []
            for row in account.get("assets", []):
                balance = to_decimal(row["marginBalance"])
                if not balance:
                    continue
                available = min(to_decimal(row.get("availableBalance", balance)), balance)
                holdings.append(
                    Holding(str(row["asset"]).upper(), balance, available, balance - available)
                )
            prices: dict[str, Decimal] = {"USDT": Decimal(1)}
            for h in holdings:
                if h.asset not in prices:  # USDC, BNB... margin: their futures USDT price
                    prices.update(self._usdt_price(h.asset))
        except BinanceError as exc:
            raise source_error(self.exchange, exc) from exc
        except (KeyError, InvalidOperation, ValueError, TypeError) as exc:
            raise SourceError(self.exchange, "BAD_PAYLOAD", type(exc).__name__) from exc
        return SourceFetch(self.exchange, holdings, prices, timezone.now())

    def _usdt_price(self, asset: str) -> dict[str, Decimal]:
        try:
            body = self.client.request("GET", "/fapi/v1/ticker/price", {"symbol": f"{asset}USDT"})
        except ExchangeRejected:
            return {}  # no such pair: the asset stays unvalued rather than failing the exchange
        return {asset: to_decimal(body["price"])}


def futures_source() -> FuturesSource:
    """The futures account through the orders engine's pooled client (same keys, same clock)."""
    return FuturesSource(client_from_settings())
