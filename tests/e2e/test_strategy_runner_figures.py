"""A paper runner's card in real Chromium: the figures the script redraws (position, PnL, the
event log) are written the page's way, 1.234,500 on a Turkish page and 1,234.500 in English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from strategies.documents import ema_cross
from strategies.models import Strategy, StrategyRunner
from tests.support.browser import login

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# No socket for this page: its script falls back to polling /strategies/runners/<id>, so every
# figure read below was written by the script (the card is blanked before the first poll).
NO_SOCKET = """
window.WebSocket = function () {
  const self = this;
  setTimeout(function () { if (self.onclose) self.onclose({}); }, 1500);
};
"""


def _runner(owner) -> StrategyRunner:
    doc = {**ema_cross(10, 30, symbol="BTCUSDT", timeframe="1h"), "name": "kesişim"}
    strategy = Strategy.objects.create(name="kesişim", document=doc, created_by=owner)
    return StrategyRunner.objects.create(
        strategy=strategy,
        version=1,
        document=doc,
        status=StrategyRunner.Status.RUNNING,
        position_qty=Decimal("1234.5"),
        entry_price=Decimal("100"),
        last_price=Decimal("101"),
        realized_pnl=Decimal("-1234.56789"),
        events=[
            {
                "at": "2026-12-06T04:05:00+00:00",
                "action": "open",
                "outcome": "ok",
                "side": "BUY",
                "qty": "1234.5",
                "price": "61234.5",
            }
        ],
        started_by=owner,
    )


@pytest.mark.parametrize(
    "lang,qty,pnl,upnl,event",
    [
        ("tr", "1.234,500", "-1.234,5679", "1.234,5000", "1.234,5 @ 61.234,5"),
        ("en", "1,234.500", "-1,234.5679", "1,234.5000", "1,234.5 @ 61,234.5"),
    ],
)
def test_the_live_runner_card_writes_figures_the_pages_way(
    daphne, browser, alice, sim, settings, lang, qty, pnl, upnl, event
):
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    runner = _runner(alice)
    server = daphne(**sim.spark_env())
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_SOCKET})
    login(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": lang, "path": "/"})
    browser.get(server.url + f"/strategy-lab/strategies/{runner.strategy_id}")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    card = browser.find_element(By.CSS_SELECTOR, f".runner[data-runner-id='{runner.pk}']")
    # the server drew the card in the page's format too
    assert card.find_element(By.CSS_SELECTOR, ".runner-qty").text == qty
    browser.execute_script(
        "document.querySelectorAll('.runner-qty, .runner-pnl, .runner-upnl, .runner-events')"
        ".forEach((n) => { n.textContent = ''; });"
    )
    wait.until(lambda d: card.find_element(By.CSS_SELECTOR, ".runner-qty").text == qty)
    assert card.find_element(By.CSS_SELECTOR, ".runner-pnl").text == pnl
    assert card.find_element(By.CSS_SELECTOR, ".runner-upnl").text == upnl  # (101-100) x 1234.5
    wait.until(lambda d: event in card.find_element(By.CSS_SELECTOR, ".runner-events").text)
    log = card.find_element(By.CSS_SELECTOR, ".runner-events").text
    assert "2026-12-06T" not in log  # a time for people, not the stored ISO text
