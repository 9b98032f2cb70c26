"""Query parameters of the history API (strict, each bad value a 422 naming its field) and
the shapes of its JSON answers."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from futures.models import OrderStatus
from history.exports import COMMA, DECIMALS, EXCEL, FORMATS, POINT, Dialect
from history.selectors import Filters
from portfolio.schemas import FxOut
from spark_site.answers import Answer
from spark_site.errors import ValidationFailed

Side = Literal["BUY", "SELL"]
Status = Literal[tuple(OrderStatus.values)]  # type: ignore[valid-type]
Format = Literal[FORMATS]  # type: ignore[valid-type]
DecimalMark = Literal[DECIMALS]  # type: ignore[valid-type]
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SYMBOL = r"^[A-Za-z0-9]{2,20}$"


class DateRange(Schema):
    """Dates are YYYY-MM-DD (calendar days in Europe/Istanbul), both inclusive."""

    dateFrom: str | None = Field(None, pattern=ISO_DATE)
    dateTo: str | None = Field(None, pattern=ISO_DATE)

    @field_validator("dateFrom", "dateTo")
    @classmethod
    def _real_day(cls, value: str | None) -> str | None:
        if value is not None:
            date.fromisoformat(value)  # 2026-02-30 is a ValueError, so a 422 on this field
        return value

    def filters(
        self, *, symbol: str | None = None, side: str | None = None, status: str | None = None
    ) -> Filters:
        """The selectors' filters; a range that ends before it starts is a 422 on dateTo."""
        start = date.fromisoformat(self.dateFrom) if self.dateFrom else None
        end = date.fromisoformat(self.dateTo) if self.dateTo else None
        if start and end and end < start:
            raise ValidationFailed(
                "Invalid request: dateTo is before dateFrom.",
                details={"fields": [{"field": "dateTo", "message": "before dateFrom"}]},
            )
        return Filters(symbol=symbol, side=side, status=status, date_from=start, date_to=end)


class HistoryQuery(DateRange):
    """Filters every history read takes: a symbol and a date range."""

    symbol: str | None = Field(None, pattern=SYMBOL)

    def history_filters(self, *, side: str | None = None, status: str | None = None) -> Filters:
        symbol = self.symbol.upper() if self.symbol else None
        return self.filters(symbol=symbol, side=side, status=status)


class OrderFilter(HistoryQuery):
    side: Side | None = None
    status: Status | None = None

    def order_filters(self) -> Filters:
        return self.history_filters(side=self.side, status=self.status)


class OrdersQuery(OrderFilter):
    page: int = Field(1, ge=1, le=1_000_000)
    pageSize: int = Field(50, ge=1, le=500)


class FillFilter(HistoryQuery):
    side: Side | None = None

    def fill_filters(self) -> Filters:
        return self.history_filters(side=self.side)


class FillsQuery(FillFilter):
    page: int = Field(1, ge=1, le=1_000_000)
    pageSize: int = Field(50, ge=1, le=500)


class PnLQuery(HistoryQuery):
    groupBy: Literal["day", "symbol"] = "day"


class ExportOptions(Schema):
    """`format`: csv (UTF-8, `,`) or excel (UTF-8 with BOM, `;`); `decimal`: point or comma
    (default: comma for excel, point for csv)."""

    format: Format = "csv"
    decimal: DecimalMark | None = None

    def dialect(self) -> Dialect:
        mark = self.decimal or (COMMA if self.format == EXCEL else POINT)
        return Dialect(format=self.format, decimal=mark)


class OrdersExportQuery(OrderFilter, ExportOptions):
    pass


class FillsExportQuery(FillFilter, ExportOptions):
    pass


class PnLExportQuery(PnLQuery, ExportOptions):
    pass


class FundingExportQuery(HistoryQuery, ExportOptions):
    pass


class AuditExportQuery(DateRange, ExportOptions):
    action: str | None = Field(None, pattern=r"^[a-z0-9_.]{1,80}$")


# ---------------------------------------------------------------------------------- answers
# history/shape.py builds these from rows; ninja checks each answer against them.
Decimals = str | None


class OrderRowOut(Answer):
    """What a desk keeps of an order: no exchange answers, errors or risk internals."""

    clientOrderId: str
    orderId: int | None  # the algo id for a conditional order
    algo: bool
    symbol: str
    side: str
    type: str
    status: str
    quantity: Decimals
    price: Decimals
    stopPrice: Decimals
    filledQty: Decimals
    avgPrice: Decimals
    reduceOnly: bool
    dryRun: bool
    environment: str
    user: str | None
    source: str
    createdAt: str | None
    updatedAt: str | None


class FillRowOut(Answer):
    tradeId: int
    clientOrderId: str
    symbol: str
    side: str
    price: Decimals
    qty: Decimals
    quoteQty: Decimals
    commission: Decimals
    commissionAsset: str
    realizedPnl: Decimals
    maker: bool
    simulated: bool
    tradedAt: str | None


class _PageOut(Answer):
    count: int
    page: int
    pageSize: int
    pages: int


class OrdersPageOut(_PageOut):
    results: list[OrderRowOut]


class FillsPageOut(_PageOut):
    results: list[FillRowOut]


class PnLOut(Answer):
    groupBy: Literal["day", "symbol"]
    kinds: list[str]
    # per row: tradingDay (or symbol), each kind and net
    rows: list[dict[str, Decimals]]
    totals: dict[str, Decimals]
    totalsTry: dict[str, Decimals]
    fx: FxOut


class FundingRowOut(Answer):
    tradingDay: str
    symbol: str
    paid: Decimals
    received: Decimals
    net: Decimals


class FundingPartsOut(Answer):
    paid: Decimals
    received: Decimals
    net: Decimals


class FundingOut(Answer):
    rows: list[FundingRowOut]
    totals: FundingPartsOut
    totalsTry: FundingPartsOut
    fx: FxOut
