"""HTTP API of the portfolio app (thin: validate, call a service, shape the answer)."""

from __future__ import annotations

from ninja import Router

from accounts.auth import READ_AUTH
from portfolio import fx
from portfolio.schemas import PortfolioOut, PortfolioPositionsOut
from portfolio.selectors import portfolio_view, with_try
from portfolio.services import portfolio_current, positions_open

router = Router(tags=["portfolio"])


@router.get("/api/portfolio", auth=READ_AUTH, response=PortfolioOut)
def portfolio(request, refresh: bool = False):
    """The valued portfolio; `?refresh=1` reads every exchange now, else a recent snapshot.

    Totals are also in TRY (`total_try`, each exchange's `value_try`) at BTCTurk's USDTTRY
    (`fx`: rate, its time, `stale` when older than PORTFOLIO_FX_MAX_AGE_SECONDS or unavailable).
    """
    return with_try(portfolio_view(portfolio_current(refresh=refresh)), fx.usdttry())


@router.get("/positions", auth=READ_AUTH, response=PortfolioPositionsOut)
def positions(request):
    """Open futures positions with entry, mark, unrealized PnL, leverage and liquidation price."""
    return {"positions": positions_open()}
