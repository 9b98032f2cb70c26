"""CSV files of the history for record keeping: plain CSV, or CSV that Excel opens as a table.

`csv`: UTF-8, comma separated, decimal point, times in UTC (ISO 8601).
`excel`: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), semicolon separated, times in
Europe/Istanbul as `YYYY-MM-DD HH:MM:SS`; with the decimal comma a Turkish Excel reads every
amount as a number. Amounts are printed from their Decimal, never through a float.
Text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) are prefixed with `'`.

Every file is made part by part (BOM and header first, then CHUNK_ROWS rows a part) from an
iterator over its rows, so an export of any size holds one part in memory, never the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from audit.services import scrub
from history.selectors import DISPLAY_TZ
from spark_site.money import decimal_text

CSV, EXCEL = "csv", "excel"
FORMATS = (CSV, EXCEL)
POINT, COMMA = "point", "comma"
DECIMALS = (POINT, COMMA)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = b"\xef\xbb\xbf"
# Rows per streamed part: about 100-200 KB, few enough sends, little held at once.
CHUNK_ROWS = 1000


@dataclass(frozen=True)
class Dialect:
    """How one export is written: file format and decimal mark."""

    format: str = CSV
    decimal: str = POINT

    @property
    def delimiter(self) -> str:
        return ";" if self.format == EXCEL else ","

    def cell(self, value) -> str:
        """One value as the text of a cell."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal | int):
            text = decimal_text(value)
            return text.replace(".", ",") if self.decimal == COMMA else text
        if isinstance(value, datetime):
            if self.format == EXCEL:
                return value.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M:%S")
            return value.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = str(value)
        return "'" + text if text.startswith(_FORMULA_START) else text

    def time_header(self, name: str) -> str:
        """A time column's header names the zone its cells are in."""
        return f"{name} (Europe/Istanbul)" if self.format == EXCEL else f"{name} (UTC)"


def stream(dialect: Dialect, header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """The file part by part: the BOM (Excel) with the header row, then CHUNK_ROWS rows a part."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n")

    def take() -> bytes:
        data = out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
        return data

    writer.writerow(header)
    yield (BOM if dialect.format == EXCEL else b"") + take()
    pending = 0
    for row in rows:
        writer.writerow([dialect.cell(v) for v in row])
        pending += 1
        if pending == CHUNK_ROWS:
            yield take()
            pending = 0
    if pending:
        yield take()


def write(dialect: Dialect, header: list[str], rows: Iterable[list]) -> bytes:
    """The whole file's bytes (small files and tests)."""
    return b"".join(stream(dialect, header, rows))


ORDER_COLUMNS = [
    "createdAt",
    "clientOrderId",
    "orderId",
    "symbol",
    "side",
    "type",
    "status",
    "quantity",
    "price",
    "stopPrice",
    "filledQty",
    "avgPrice",
    "reduceOnly",
    "dryRun",
    "environment",
    "user",
    "source",
]


def orders_csv(dialect: Dialect, orders) -> Iterator[bytes]:
    """Orders as a file (no exchange answers or errors: they are not records a desk keeps)."""
    header = [dialect.time_header("createdAt"), *ORDER_COLUMNS[1:]]
    rows = (
        [
            o.created_at,
            o.client_order_id,
            o.algo_id if o.is_algo else o.exchange_order_id,
            o.symbol,
            o.side,
            o.type,
            o.status,
            o.quantity,
            o.price,
            o.stop_price,
            o.filled_qty,
            o.avg_price,
            o.reduce_only,
            o.dry_run,
            o.environment,
            o.user.get_username() if o.user else "",
            o.source,
        ]
        for o in orders
    )
    return stream(dialect, header, rows)


FILL_COLUMNS = [
    "tradedAt",
    "tradeId",
    "clientOrderId",
    "symbol",
    "side",
    "price",
    "qty",
    "quoteQty",
    "commission",
    "commissionAsset",
    "realizedPnl",
    "maker",
    "simulated",
]


def fills_csv(dialect: Dialect, fills) -> Iterator[bytes]:
    """Fills as a file."""
    header = [dialect.time_header("tradedAt"), *FILL_COLUMNS[1:]]
    rows = (
        [
            f.traded_at,
            f.trade_id,
            f.order.client_order_id,
            f.order.symbol,
            f.order.side,
            f.price,
            f.qty,
            f.price * f.qty,
            f.commission,
            f.commission_asset,
            f.realized_pnl,
            f.is_maker,
            f.simulated,
        ]
        for f in fills
    )
    return stream(dialect, header, rows)


def pnl_csv(
    dialect: Dialect, key: str, rows: list[dict], kinds: tuple[str, ...]
) -> Iterator[bytes]:
    """PnL per day or per symbol: one column per kind, then net."""
    header = [key, *kinds, "net"]
    return stream(dialect, header, ([r[key], *(r[k] for k in kinds), r["net"]] for r in rows))


AUDIT_COLUMNS = ["createdAt", "actor", "action", "target", "outcome", "clientIp", "payload"]


def audit_csv(dialect: Dialect, entries) -> Iterator[bytes]:
    """Audit entries as a file; payloads are scrubbed again, so no secret leaves in a file."""
    header = [dialect.time_header("createdAt"), *AUDIT_COLUMNS[1:]]
    rows = (
        [
            e.created_at,
            e.actor_name,
            e.action,
            e.target,
            e.outcome,
            e.client_ip,
            json.dumps(scrub(e.payload), sort_keys=True, ensure_ascii=False),
        ]
        for e in entries
    )
    return stream(dialect, header, rows)
