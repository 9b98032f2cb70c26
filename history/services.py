"""Who may read the history and its exports, and the exports themselves (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from accounts.permissions import require
from audit.models import AuditEntry
from audit.services import record
from history import exports, selectors
from history.exports import Dialect
from history.selectors import Filters
from risk.models import PNL_KINDS
from spark_site.errors import DomainError

# Reading the history is the viewer's right; the audit log is the operators' (it names every
# user's actions and addresses).
VIEW = "accounts.view_platform"
VIEW_AUDIT = "audit.view_auditentry"
# A file bigger than this is refused: narrow the dates. One answer is built in memory.
MAX_EXPORT_ROWS = 100_000

DATASETS = ("orders", "fills", "pnl-daily", "pnl-symbol", "funding")


class ExportTooLarge(DomainError):
    status = 422
    code = "EXPORT_TOO_LARGE"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str = "text/csv; charset=utf-8"


def history_access(user, *, action: str, target: str = "") -> None:
    """Raise 401/403 (audited) unless user holds at least the viewer role."""
    require(user, VIEW, action=action, target=target)


def _check_size(count: int) -> None:
    if count > MAX_EXPORT_ROWS:
        raise ExportTooLarge(
            gettext_noop("The export has %(rows)s rows, more than %(limit)s: narrow the dates."),
            params={"rows": count, "limit": MAX_EXPORT_ROWS},
            details={
                "fields": [{"field": "dateFrom", "message": "narrow the date range"}],
                "rows": count,
                "limit": MAX_EXPORT_ROWS,
            },
        )


def history_export(*, user, dataset: str, filters: Filters, dialect: Dialect) -> ExportFile:
    """Build the file of one history dataset and record who took it."""
    history_access(user, action="history.export", target=dataset)
    if dataset == "orders":
        qs = selectors.orders(filters)
        _check_size(qs.count())
        content = exports.orders_csv(dialect, qs.iterator())
    elif dataset == "fills":
        qs = selectors.fills(filters)
        _check_size(qs.count())
        content = exports.fills_csv(dialect, qs.iterator())
    elif dataset == "pnl-daily":
        rows, _ = selectors.pnl_by_day(filters)
        content = exports.pnl_csv(dialect, "trading_day", rows, PNL_KINDS)
    elif dataset == "pnl-symbol":
        rows, _ = selectors.pnl_by_symbol(filters)
        content = exports.pnl_csv(dialect, "symbol", rows, PNL_KINDS)
    elif dataset == "funding":
        rows, _ = selectors.funding(filters)
        content = exports.write(
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
    _check_size(qs.count())
    content = exports.audit_csv(dialect, qs.iterator())
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
