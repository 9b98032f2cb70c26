"""A hedge-mode account in Chromium: the Turkish banner lists the sides and an order is refused."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.e2e.test_live_order_confirmation import open_dashboard, orders_at_exchange, result_text

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _side(sim, side: str, position_side: str) -> None:
    r = sim.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side=side,
        type="MARKET",
        quantity="0.010",
        positionSide=position_side,
    )
    assert r.status_code == 200, r.text


def test_the_dashboard_warns_in_turkish_and_refuses_a_dry_run(daphne, browser, sim, alice):
    from tests.support.servers import spark_with_streams as start_spark

    sim.control.set_price("BTCUSDT", "60000", mark="60000")
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    assert sim.control.position_mode(True)["code"] == 200
    _side(sim, "BUY", "LONG")
    _side(sim, "SELL", "SHORT")  # net zero: only the sides tell the truth
    server = start_spark(daphne, sim)
    open_dashboard(browser, server, alice, "tr")

    banner = browser.find_element(By.CSS_SELECTOR, "[data-testid=hedge-mode-banner]")
    assert banner.is_displayed()
    assert "Çift yönlü pozisyon modu: işlem durduruldu" in banner.text
    rows = banner.find_elements(By.CSS_SELECTOR, "[data-testid=hedge-positions] tbody tr")
    assert [r.text for r in rows] == [
        "ETHUSDT long (alış) 0,010 3.400",
        "ETHUSDT short (satış) -0,010 3.399,99",
    ]
    before = orders_at_exchange(sim)

    # the form stays on dry run; an order without its side (LONG/SHORT) is refused on a hedge
    # account, dry run included (issue 22: the form's side selector is the pages' part)
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=order-form]")
    Select(form.find_element(By.NAME, "type")).select_by_value("MARKET")
    assert form.find_element(By.NAME, "dryRun").is_selected()
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    assert "positionSide LONG ya da SHORT" in result_text(browser), result_text(browser)
    assert orders_at_exchange(sim) == before
