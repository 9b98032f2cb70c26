"""Who may read the history and its exports, and the exports themselves (audited)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from accounts.permissions import require
from audit.models import AuditEntry
from audit.services import record
from history import exports, selectors
from history.exports import Dialect
from history.selectors import Filters
from risk.models import PNL_KINDS

# Reading the history is the viewer's right; the audit log is the operators' (it names every
# user's actions and addresses).
VIEW = "accounts.view_platform"
VIEW_AUDIT = "audit.view_auditentry"
# Rows read from the database at a time while a file streams (a server-side cursor on
# PostgreSQL): memory stays flat whatever the export's size.
EXPORT_FETCH_ROWS = 2000
# An order's exchange answer, gate decision and error are not in its file: not read for one.
_ORDER_UNEXPORTED = ("raw_response", "risk_decision", "error")

DATASETS = ("orders", "fills", "pnl-daily", "pnl-symbol", "funding")


@dataclass(frozen=True)
class ExportFile:
    """A file to send part by part: its rows are read from the database as the parts are
    made, so nothing is read before the answer starts streaming."""

    filename: str
    parts: Iterator[bytes]
    content_type: str = "text/csv; charset=utf-8"


def history_access(user, *, action: str, target: str = "") -> None:
    """Raise 401/403 (audited) unless user holds at least the viewer role."""
    require(user, VIEW, action=action, target=target)


def history_export(*, user, dataset: str, filters: Filters, dialect: Dialect) -> ExportFile:
    """The file of one history dataset, streamed with no row limit; records who took it."""
    history_access(user, action="history.export", target=dataset)
    if dataset == "orders":
        qs = selectors.orders(filters).defer(*_ORDER_UNEXPORTED)
        content = exports.orders_csv(dialect, qs.iterator(chunk_size=EXPORT_FETCH_ROWS))
    elif dataset == "fills":
        qs = selectors.fills(filters).defer(*(f"order__{f}" for f in _ORDER_UNEXPORTED))
        content = exports.fills_csv(dialect, qs.iterator(chunk_size=EXPORT_FETCH_ROWS))
    elif dataset == "pnl-daily":
        rows, _ = selectors.pnl_by_day(filters)
        content = exports.pnl_csv(dialect, "trading_day", rows, PNL_KINDS)
    elif dataset == "pnl-symbol":
        rows, _ = selectors.pnl_by_symbol(filters)
        content = exports.pnl_csv(dialect, "symbol", rows, PNL_KINDS)
    elif dataset == "funding":
        rows, _ = selectors.funding(filters)
        content = exports.stream(
            dialect,
            ["trading_day", "symbol", "paid", "received", "net"],
            ([r["trading_day"], r["symbol"], r["paid"], r["received"], r["net"]] for r in rows),
        )
    else:  # the API's schema allows only DATASETS
        raise ValueError(dataset)
    record(actor=user, action="history.export", target=dataset, payload=_payload(filters, dialect))
    return ExportFile(_filename(dataset, filters, dialect), content)


def audit_export(*, user, filters: Filters, action: str | None, dialect: Dialect) -> ExportFile:
    """The audit log as a file, operators only; the export itself is audited."""
    require(user, VIEW_AUDIT, action="audit.export", target="audit")
    qs = AuditEntry.objects.order_by("created_at", "id")
    start, end = filters.instants()
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    if action:
        qs = qs.filter(action__startswith=action)
    content = exports.audit_csv(dialect, qs.iterator(chunk_size=EXPORT_FETCH_ROWS))
    payload = {**_payload(filters, dialect), "action": action}
    record(actor=user, action="audit.export", target="audit", payload=payload)
    return ExportFile(_filename("audit", filters, dialect), content)


def _payload(filters: Filters, dialect: Dialect) -> dict:
    return {
        "symbol": filters.symbol,
        "side": filters.side,
        "status": filters.status,
        "dateFrom": filters.date_from.isoformat() if filters.date_from else None,
        "dateTo": filters.date_to.isoformat() if filters.date_to else None,
        "format": dialect.format,
        "decimal": dialect.decimal,
    }


def _filename(dataset: str, filters: Filters, dialect: Dialect) -> str:
    parts = ["spark", dataset]
    if filters.date_from:
        parts.append(filters.date_from.isoformat())
    if filters.date_to:
        parts.append(filters.date_to.isoformat())
    if dialect.format == exports.EXCEL:
        parts.append("excel")
    return "-".join(parts) + ".csv"
