"""The history page: orders, fills, daily PnL with its chart, funding, and export links."""

from __future__ import annotations

from urllib.parse import urlencode

import pydantic
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.permissions import can
from futures.models import OrderStatus
from history import selectors, services
from history.charts import daily_pnl_svg
from history.schemas import FillsQuery, OrdersQuery
from history.selectors import Filters
from portfolio import fx
from risk.models import PNL_KINDS
from spark_site.errors import DomainError
from spark_site.errors import PermissionDenied as Refused

TABS = ("orders", "fills", "pnl", "funding")
PAGE_SIZE = 50
FILTER_NAMES = ("symbol", "side", "status", "dateFrom", "dateTo")


def _query(request) -> tuple[OrdersQuery, str]:
    """The page's filters (the API's rules); invalid ones are dropped with a message."""
    raw = {k: v for k in (*FILTER_NAMES, "page") if (v := request.GET.get(k, "").strip())}
    try:
        query = OrdersQuery(**raw)
        query.order_filters()  # a range that ends before it starts
        return query, ""
    except (pydantic.ValidationError, DomainError):
        return OrdersQuery(), _("Some filters were not valid and are ignored.")


@login_required
def history_page(request):
    """History of the desk's account (viewer and above); `?tab=` picks the table."""
    try:
        services.history_access(request.user, action="history.view", target=request.path)
    except Refused as exc:
        raise PermissionDenied from exc
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "orders"
    query, warning = _query(request)
    quote = fx.usdttry()
    context = {
        "tab": tab,
        "tabs": [
            ("orders", _("Orders")),
            ("fills", _("Fills")),
            ("pnl", _("Daily PnL")),
            ("funding", _("Funding")),
        ],
        "q": query,
        "warning": warning,
        "statuses": OrderStatus.choices,
        "fx": quote,
        "fx_status": quote.status(),
        "kinds": PNL_KINDS,
    }
    filters = query.order_filters()
    base = {k: v for k in FILTER_NAMES if (v := getattr(query, k, None))}
    context["filter_qs"] = urlencode(base)
    if tab == "orders":
        context["page"] = selectors.orders_page(filters, page=query.page, page_size=PAGE_SIZE)
    elif tab == "fills":
        fills_query = FillsQuery(**{k: v for k, v in base.items() if k != "status"})
        context["page"] = selectors.fills_page(
            fills_query.fill_filters(), page=query.page, page_size=PAGE_SIZE
        )
    elif tab == "pnl":
        ledger = Filters(
            symbol=filters.symbol, date_from=filters.date_from, date_to=filters.date_to
        )
        rows, totals = selectors.pnl_by_day(ledger)
        by_symbol, _totals = selectors.pnl_by_symbol(ledger)
        context.update(
            rows=rows,
            by_symbol=by_symbol,
            totals=totals,
            totals_try={k: quote.to_try(totals[k]) for k in (*PNL_KINDS, "net")},
            chart=daily_pnl_svg(rows),
        )
    else:
        ledger = Filters(
            symbol=filters.symbol, date_from=filters.date_from, date_to=filters.date_to
        )
        rows, totals = selectors.funding(ledger)
        context.update(
            rows=rows,
            totals=totals,
            totals_try={k: quote.to_try(v) for k, v in totals.items()},
        )
    export = tab  # each tab exports its own rows: /api/history/<tab>.csv
    params = dict(base)
    if tab != "orders":
        params.pop("status", None)
    if tab in ("pnl", "funding"):
        params.pop("side", None)
    qs = urlencode(params)
    context["exports"] = [
        (_("CSV"), f"/api/history/{export}.csv?{qs}"),
        (
            _("Excel (Turkish decimals)"),
            f"/api/history/{export}.csv?{urlencode({**params, 'format': 'excel'})}",
        ),
    ]
    if tab == "pnl":
        context["exports"].append(
            (
                _("CSV by symbol"),
                f"/api/history/pnl.csv?{urlencode({**params, 'groupBy': 'symbol'})}",
            )
        )
    context["can_export_audit"] = can(request.user, services.VIEW_AUDIT)
    return render(request, "history/history.html", context)
