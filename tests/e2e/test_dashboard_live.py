"""The live dashboard in headless Chromium against real Daphne with embedded streams."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def start_spark(daphne, sim):
    return daphne(
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT",
        SPARK_LISTEN_KEY_KEEPALIVE_SECONDS="60",
        **sim.spark_env(),
    )


def login(browser, base_url: str, user) -> None:
    """Log in through the real form (the page needs a session the server can read)."""
    browser.get(base_url + "/login/")
    browser.find_element(By.NAME, "username").send_keys(user.get_username())
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".who"))


def text_of(browser, testid: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text


def test_a_price_move_on_the_exchange_reaches_the_page_within_two_seconds(
    daphne, browser, sim, alice
):
    sim.control.set_price("BTCUSDT", "60000")
    server = start_spark(daphne, sim)
    login(browser, server.url, alice)
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: text_of(d, "live-state") == "open")
    wait.until(lambda d: text_of(d, "ticker-last").replace(",", "") == "60000")
    # Stream health is shown live as well.
    wait.until(lambda d: "up" in text_of(d, "streams"))

    sim.control.set_price("BTCUSDT", "61234.5")
    moved = time.monotonic()
    WebDriverWait(browser, 2, poll_frequency=0.02).until(
        lambda d: text_of(d, "ticker-last") == "61234.5"
    )
    assert time.monotonic() - moved < 2.0
    # Updated in place: still the same page, no reload.
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1
    assert browser.find_elements(By.CSS_SELECTOR, "#depth-body tr td.num")


def test_a_trader_sees_the_order_form_with_dry_run_checked_and_a_viewer_does_not(
    daphne, browser, sim, alice, bob
):
    server = start_spark(daphne, sim)
    login(browser, server.url, alice)
    browser.get(server.url + "/")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=order-form]")
    assert form.find_element(By.NAME, "dryRun").is_selected()
    assert form.find_element(By.NAME, "csrfmiddlewaretoken").get_attribute("value")

    # A dry-run order placed from the form comes back through the socket as an open order
    # (or is reported by the order service); either way the page shows the answer in place.
    form.find_element(By.NAME, "type").send_keys("LIMIT")
    qty = form.find_element(By.NAME, "quantity")
    qty.clear()
    qty.send_keys("0.002")
    price = form.find_element(By.NAME, "price")
    price.clear()
    price.send_keys("50000")
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "order-result").text not in ("", "…")
    )
    result = browser.find_element(By.ID, "order-result")
    assert result.get_attribute("class") == "ok", result.text
    assert result.text.startswith("dry-run")

    browser.delete_all_cookies()
    login(browser, server.url, bob)
    browser.get(server.url + "/")
    WebDriverWait(browser, 10).until(lambda d: text_of(d, "live-state") == "open")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=order-form]")
