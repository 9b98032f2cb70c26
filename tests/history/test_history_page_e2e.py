"""/history in headless Chromium under real Daphne: the PnL chart, TRY totals, the tabs."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import login

pytestmark = pytest.mark.e2e


def test_the_pnl_chart_draws_one_bar_per_seeded_day_with_try_totals(
    sim, daphne, browser, desk, bob, settings
):
    # the planted session must be signed with the key the Daphne process is given
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    server = daphne(**sim.spark_env())
    login(browser, server.url, bob)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})  # Turkish reader

    browser.get(server.url + "/history?tab=pnl")

    chart = browser.find_element(By.CSS_SELECTOR, "#pnl-chart svg.pnl-chart")
    assert chart.is_displayed()
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert [b.get_attribute("data-day") for b in bars] == ["2026-11-03", "2026-11-05"]
    gain, loss = bars
    assert "gain" in gain.get_attribute("class") and "loss" in loss.get_attribute("class")
    # drawn to scale: the 1,232.93 USD day is far taller than the -8.74 USD day
    assert gain.rect["height"] > 20 * loss.rect["height"] > 0
    usd = browser.find_element(By.CSS_SELECTOR, '#pnl-total-usd [data-role="net"]').text
    tl = browser.find_element(By.CSS_SELECTOR, '#pnl-total-try [data-role="net"]').text
    assert (usd, tl) == ("1.224,19", "42.234,73")  # net × USDTTRY 34.50 from the stand-in
    assert browser.find_element(By.ID, "fx").get_attribute("data-status") == "ok"

    browser.find_element(By.CSS_SELECTOR, 'a[data-tab="orders"]').click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#orders-table tbody tr")
    assert len(rows) == 4
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
