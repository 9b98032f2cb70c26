"""Pages of the portfolio app."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.pages import page_access
from portfolio import fx
from portfolio.charts import allocation_svg, history_svg
from portfolio.selectors import portfolio_view, value_history, with_try
from portfolio.services import portfolio_current


def portfolio_page(request):
    """Totals, a table per exchange and two SVG charts; `?part=charts` returns the charts only."""
    if (denied := page_access(request)) is not None:
        return denied
    quote = fx.usdttry()
    view = with_try(portfolio_view(portfolio_current()), quote)
    context = {
        # What portfolio.js writes when it redraws the tables (static/spark/i18n.js).
        "strings": {
            "asset": _("Asset"),
            "quantity": _("Quantity"),
            "price": _("Price (USD)"),
            "value": _("Value (USD)"),
            "share": _("Share"),
            "fetched": _("fetched"),
            "partial": _("partial"),
            "complete": _("complete"),
        },
        "p": view,
        "fx_at": quote.at,
        "allocation_svg": allocation_svg(view["allocation"]),
        "history_svg": history_svg(value_history()),
    }
    if request.GET.get("part") == "charts":
        return render(request, "portfolio/_charts.html", context)
    return render(request, "portfolio/portfolio.html", context)
