"""HTTP API of the history: reads and CSV exports (viewer and above; the audit log: operators)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from ninja import Query, Router

from accounts.auth import read_auth
from history import selectors, services
from history.schemas import (
    AuditExportQuery,
    FillsExportQuery,
    FillsPageOut,
    FillsQuery,
    FundingExportQuery,
    FundingOut,
    HistoryQuery,
    OrdersExportQuery,
    OrdersPageOut,
    OrdersQuery,
    PnLExportQuery,
    PnLOut,
    PnLQuery,
)
from history.shape import fill_out, funding_out, order_out, page_out, pnl_out
from portfolio import fx

router = Router(tags=["history"])

READ = read_auth(services.VIEW, "history.read")
AUDIT = read_auth(services.VIEW_AUDIT, "audit.export")


def _file(export: services.ExportFile) -> StreamingHttpResponse:
    """The file streamed part by part (spark_site/http_handler.py reads it in one thread)."""
    response = StreamingHttpResponse(export.parts, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@router.get("/orders", auth=READ, response=OrdersPageOut)
def orders(request, q: Query[OrdersQuery]):
    """Orders in every state, newest first; filters symbol, side, status, dateFrom/dateTo."""
    page = selectors.orders_page(q.order_filters(), page=q.page, page_size=q.pageSize)
    return page_out(page, order_out)


@router.get("/fills", auth=READ, response=FillsPageOut)
def fills(request, q: Query[FillsQuery]):
    """Fills, newest first; filters symbol, side, dateFrom/dateTo (trade time)."""
    page = selectors.fills_page(q.fill_filters(), page=q.page, page_size=q.pageSize)
    return page_out(page, fill_out)


@router.get("/pnl", auth=READ, response=PnLOut)
def pnl(request, q: Query[PnLQuery]):
    """The ledger per trading day or per symbol: each kind (realized, commission, funding,
    transfer) and net, USD, with the totals also in TRY."""
    filters = q.history_filters()
    if q.groupBy == "symbol":
        rows, totals = selectors.pnl_by_symbol(filters)
    else:
        rows, totals = selectors.pnl_by_day(filters)
    return pnl_out(q.groupBy, rows, totals, fx.usdttry())


@router.get("/funding", auth=READ, response=FundingOut)
def funding(request, q: Query[HistoryQuery]):
    """Funding fees paid and received per trading day and symbol, USD (totals also in TRY)."""
    rows, totals = selectors.funding(q.history_filters())
    return funding_out(rows, totals, fx.usdttry())


@router.get("/orders.csv", auth=READ)
def orders_csv(request, q: Query[OrdersExportQuery]):
    """Orders as CSV (`format=excel`: UTF-8 with BOM, `;`, decimal comma by default)."""
    filters = q.order_filters()
    return _file(
        services.history_export(
            user=request.auth, dataset="orders", filters=filters, dialect=q.dialect()
        )
    )


@router.get("/fills.csv", auth=READ)
def fills_csv(request, q: Query[FillsExportQuery]):
    """Fills as CSV (`format=excel` for Excel)."""
    filters = q.fill_filters()
    return _file(
        services.history_export(
            user=request.auth, dataset="fills", filters=filters, dialect=q.dialect()
        )
    )


@router.get("/pnl.csv", auth=READ)
def pnl_csv(request, q: Query[PnLExportQuery]):
    """PnL per day (`groupBy=day`) or symbol as CSV, one column per kind, then net."""
    dataset = "pnl-symbol" if q.groupBy == "symbol" else "pnl-daily"
    return _file(
        services.history_export(
            user=request.auth, dataset=dataset, filters=q.history_filters(), dialect=q.dialect()
        )
    )


@router.get("/funding.csv", auth=READ)
def funding_csv(request, q: Query[FundingExportQuery]):
    """Funding paid and received per day and symbol as CSV."""
    return _file(
        services.history_export(
            user=request.auth, dataset="funding", filters=q.history_filters(), dialect=q.dialect()
        )
    )


@router.get("/audit.csv", auth=AUDIT)
def audit_csv(request, q: Query[AuditExportQuery]):
    """The audit log as CSV (operators; the export is audited); filters dates and action."""
    return _file(
        services.audit_export(
            user=request.auth, filters=q.filters(), action=q.action, dialect=q.dialect()
        )
    )
