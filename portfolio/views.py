"""Pages of the portfolio app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from portfolio.charts import allocation_svg, history_svg
from portfolio.selectors import portfolio_view, value_history
from portfolio.services import portfolio_current


def _may_read(request) -> bool | None:
    """True if the page may be shown, None if the visitor must log in first, False if never."""
    if settings.SPARK_PUBLIC_READS:
        return True
    if not request.user.is_authenticated:
        return None
    return request.user.has_perm("accounts.view_platform")


def portfolio_page(request):
    """Totals, a table per exchange and two SVG charts; `?part=charts` returns the charts only."""
    allowed = _may_read(request)
    if allowed is None:
        return redirect_to_login(request.get_full_path())
    if not allowed:
        raise PermissionDenied
    view = portfolio_view(portfolio_current())
    context = {
        "p": view,
        "allocation_svg": allocation_svg(view["allocation"]),
        "history_svg": history_svg(value_history()),
    }
    if request.GET.get("part") == "charts":
        return render(request, "portfolio/_charts.html", context)
    return render(request, "portfolio/portfolio.html", context)
