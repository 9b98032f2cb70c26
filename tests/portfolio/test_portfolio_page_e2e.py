"""The portfolio page in headless Chromium against real Daphne and the running stand-in."""

from __future__ import annotations

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.portfolio.conftest import BINANCE_KEY, BINANCE_SECRET, BTCTURK_KEY, BTCTURK_SECRET
from tests.support.browser import login
from tests.support.stand_in import seed_portfolio

pytestmark = pytest.mark.e2e


def spark_env(base_url: str) -> dict[str, str]:
    return {
        "BINANCE_FUTURES_BASE_URL": base_url,
        "BINANCE_SPOT_BASE_URL": base_url,
        "BTCTURK_BASE_URL": base_url,
        "BINANCE_API_KEY": BINANCE_KEY,
        "BINANCE_API_SECRET": BINANCE_SECRET,
        "BINANCE_SPOT_API_KEY": BINANCE_KEY,
        "BINANCE_SPOT_API_SECRET": BINANCE_SECRET,
        "BTCTURK_API_KEY": BTCTURK_KEY,
        "BTCTURK_API_SECRET": BTCTURK_SECRET,
    }


def test_the_page_draws_both_charts_and_refreshes_live(stand_in, daphne, browser, bob, settings):
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"  # the planted session's key
    stand_in.control.reset()
    seed_portfolio(stand_in)
    server = daphne(**spark_env(stand_in.base_url))
    login(browser, server.url, bob)  # every page needs the viewer role

    browser.get(server.url + "/portfolio")

    total = browser.find_element(By.ID, "portfolio-total")
    assert total.text == "36.150,50 USD"  # Turkish format, USD with 2 decimals
    assert total.get_attribute("title") == "36150.50000000 USD"  # full precision on hover
    assert browser.find_element(By.CSS_SELECTOR, "svg.allocation-chart").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "svg.history-chart").is_displayed()
    slices = browser.find_elements(By.CSS_SELECTOR, "svg.allocation-chart circle.slice")
    assert {s.get_attribute("data-asset") for s in slices} == {"BTC", "ETH", "USDT", "TRY"}
    rows = browser.find_elements(By.CSS_SELECTOR, '[data-exchange="btcturk"] tbody tr')
    assert len(rows) == 4

    stand_in.control.balances(futures={"USDT": "3000"})
    browser.find_element(By.ID, "portfolio-refresh").click()

    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.ID, "portfolio-total").text == "36.650,00 USD"
    )
    # the server-rendered history chart is fetched again: now two snapshots on the line
    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: (
            len(
                d.find_element(By.CSS_SELECTOR, "polyline.value-line")
                .get_attribute("points")
                .split()
            )
            == 2
        )
    )
    statuses = browser.find_elements(By.CSS_SELECTOR, '[data-role="status"]')
    assert [s.text for s in statuses] == ["tamam", "tamam", "tamam"]
    assert [s.get_attribute("data-status") for s in statuses] == ["ok", "ok", "ok"]
    # the tables were redrawn from the JSON, not left over from the server render
    rows = browser.find_elements(By.CSS_SELECTOR, '[data-exchange="binance_futures"] tbody tr')
    assert [r.find_element(By.CSS_SELECTOR, "td.num").text for r in rows] == ["3.000"]
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def test_a_logged_in_page_follows_new_snapshots_over_the_live_socket(
    stand_in, daphne, browser, bob, settings
):
    # the session planted by login() must be signed with the key tests/support/servers.py
    # gives the Daphne process, or the server reads it as corrupted and serves an anonymous page
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    stand_in.control.reset()
    seed_portfolio(stand_in)
    server = daphne(**spark_env(stand_in.base_url))
    login(browser, server.url, bob)
    browser.get(server.url + "/portfolio")
    assert browser.find_element(By.ID, "portfolio-total").text == "36.150,50 USD"
    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.execute_script("return SparkLive.state") == "open"
    )

    # a snapshot taken elsewhere (another client's refresh): no click, no 60 s fallback poll
    stand_in.control.balances(futures={"USDT": "3000"})
    r = requests.get(server.url + "/api/portfolio", params={"refresh": "1"}, timeout=10)
    assert r.status_code == 200 and r.json()["total_usd"] == "36650.00000000"

    WebDriverWait(browser, 10, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: d.find_element(By.ID, "portfolio-total").text == "36.650,00 USD"
    )
