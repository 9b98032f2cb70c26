"""The USD totals beyond the dashboard's account card also in TL, at the stand-in BTCTurk's
USDTTRY (34.5), exact and in Turkish format: the positions table's per-row uPnL, the copilot's
side panels, a paper runner's PnL and a backtest's net PnL; live figures take their TL along."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from strategies.documents import ema_cross
from strategies.models import BacktestRun, Strategy, StrategyRunner
from tests.support.browser import live_state, login, login_with_form
from tests.support.servers import spark_with_streams

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

RATE = Decimal("34.5")
CENT = Decimal("0.01")

# The strategy page's script polls when it has no socket: every redrawn figure is the script's.
NO_SOCKET = """
window.WebSocket = function () {
  const self = this;
  setTimeout(function () { if (self.onclose) self.onclose({}); }, 1500);
};
"""

# One read of a USD figure and its TL line (the panels are redrawn on every update).
READ = """
const usd = document.querySelector(arguments[0]), tl = document.querySelector(arguments[1]);
if (!usd || !tl) return null;
return {usd: usd.dataset.value || null, text: tl.textContent, value: tl.dataset.value || null,
        status: tl.dataset.status || null};
"""


def _tr(value: Decimal) -> str:
    """A TL figure as a Turkish page writes it: -1.234,56."""
    text = f"{value.quantize(CENT):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _in_tl(usd: Decimal) -> str:
    return f"≈ {_tr((usd * RATE).quantize(CENT))} TL"


def _agrees(browser, usd_css: str, tl_css: str) -> bool:
    """The TL line is the USD figure × 34.5 to the kuruş, written the Turkish way."""
    try:
        f = browser.execute_script(READ, usd_css, tl_css)
    except StaleElementReferenceException:
        return False
    if not f or not f["usd"] or not f["value"]:
        return False
    want = (Decimal(f["usd"]) * RATE).quantize(CENT)
    return Decimal(f["value"]) == want and f["text"] == f"≈ {_tr(want)} TL" and f["status"] == "ok"


def _turkish(browser, server, user, path, *, form=True):
    (login_with_form if form else login)(browser, server.url, user)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + path)
    return WebDriverWait(browser, 30, poll_frequency=0.05)


def test_each_positions_row_shows_its_upnl_in_tl_following_the_mark(daphne, browser, sim, alice):
    server = spark_with_streams(daphne, sim)
    wait = _turkish(browser, server, alice, "/?symbol=ETHUSDT")
    wait.until(lambda d: live_state(d) == "open")
    sim.control.signed(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.5"
    ).raise_for_status()
    row = "tr[data-symbol='ETHUSDT'] [data-col=upnl]"
    try:
        sim.control.set_price("ETHUSDT", "3521.37", mark="3521.37")
        wait.until(lambda d: _agrees(d, row, row + " [data-col=upnl-try]"))
        first = browser.execute_script(READ, row, row + " [data-col=upnl-try]")
        # the mark moves: the row's USD and its TL move together
        sim.control.set_price("ETHUSDT", "3499.99", mark="3499.99")
        wait.until(
            lambda d: (
                (d.execute_script(READ, row, row + " [data-col=upnl-try]") or {}).get("usd")
                not in (None, first["usd"])
            )
        )
        wait.until(lambda d: _agrees(d, row, row + " [data-col=upnl-try]"))
        # one line of USD, the TL under it: the cell is no wider at 390 px than its text
        browser.set_window_size(390, 844)
        cell = browser.find_element(By.CSS_SELECTOR, row)
        assert "TL" in cell.text and "\n" in cell.text
    finally:
        sim.control.signed(
            "POST", "/fapi/v1/order", symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.5"
        ).raise_for_status()


def test_the_copilot_panels_show_account_and_risk_totals_in_tl(daphne, browser, sim, alice):
    server = spark_with_streams(daphne, sim)
    wait = _turkish(browser, server, alice, "/copilot-home")
    wait.until(lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "open")
    rate = browser.find_element(By.ID, "fx")
    assert rate.get_attribute("data-status") == "ok" and "USDTTRY 34,5" in rate.text
    wait.until(
        lambda d: (
            (
                d.execute_script(READ, "#panel-account dd", "[data-testid=panel-wallet-try]") or {}
            ).get("text")
            == "≈ 345.000,00 TL"
        )
    )
    for name in ("wallet", "available", "upnl"):
        css = f"[data-testid=panel-{name}-try]"
        wait.until(lambda d, c=css: _agrees(d, f"dd:has(> {c})", c))
    for name in ("pnl", "budget"):
        css = f"[data-testid=panel-{name}-try]"
        wait.until(lambda d, c=css: _agrees(d, f"dd:has(> {c})", c))


def test_a_paper_runner_shows_its_pnl_in_tl_and_keeps_it_when_redrawn(
    daphne, browser, sim, alice, settings
):
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    doc = {**ema_cross(10, 30, symbol="BTCUSDT", timeframe="1h"), "name": "kesişim"}
    strategy = Strategy.objects.create(name="kesişim", document=doc, created_by=alice)
    runner = StrategyRunner.objects.create(
        strategy=strategy,
        version=1,
        document=doc,
        status=StrategyRunner.Status.RUNNING,
        position_qty=Decimal("1234.5"),
        entry_price=Decimal("100"),
        last_price=Decimal("101"),
        realized_pnl=Decimal("-1234.56789"),
        started_by=alice,
    )
    server = daphne(**sim.spark_env())
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_SOCKET})
    _turkish(browser, server, alice, f"/strategy-lab/strategies/{strategy.pk}", form=False)
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    card = f".runner[data-runner-id='{runner.pk}'] "
    pnl, upnl = card + ".runner-pnl-try", card + ".runner-upnl-try"
    # drawn by the server's figures: -1234.56789 × 34.5 = -42.592,59; 1234.5 × 34.5 = 42.590,25
    assert browser.find_element(By.CSS_SELECTOR, pnl).text == "≈ -42.592,59 TL"
    assert browser.find_element(By.CSS_SELECTOR, upnl).text == "≈ 42.590,25 TL"
    # the script's redraw writes them again
    browser.execute_script(
        "document.querySelectorAll('.fx-try').forEach((n) => { n.textContent = '';"
        " delete n.dataset.value; });"
    )
    wait.until(
        lambda d: d.find_element(By.CSS_SELECTOR, pnl).text == _in_tl(Decimal("-1234.56789"))
    )
    assert browser.find_element(By.CSS_SELECTOR, upnl).text == _in_tl(Decimal("1234.5"))
    assert browser.find_element(By.CSS_SELECTOR, pnl).get_attribute("data-status") == "ok"


def test_a_backtest_shows_its_net_pnl_and_fees_in_tl(daphne, browser, sim, alice, settings):
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    doc = {**ema_cross(10, 30, symbol="BTCUSDT", timeframe="1h"), "name": "kesişim"}
    run = BacktestRun.objects.create(
        document=doc,
        symbol="BTCUSDT",
        interval="1h",
        start_ms=0,
        end_ms=3_600_000,
        metrics={"net_pnl": "-1234.56789000", "fees": "12.34000000", "total_return_pct": -1.2},
        created_by=alice,
    )
    server = daphne(**sim.spark_env())
    _turkish(browser, server, alice, f"/strategy-lab/backtests/{run.pk}", form=False)
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "net-pnl-try").text)
    assert browser.find_element(By.ID, "net-pnl").text == "-1.234,57"
    assert browser.find_element(By.ID, "net-pnl-try").text == "≈ -42.592,59 TL"
    assert browser.find_element(By.ID, "fees-try").text == "≈ 425,73 TL"
    assert "USDTTRY 34,5" in browser.find_element(By.ID, "fx").text
