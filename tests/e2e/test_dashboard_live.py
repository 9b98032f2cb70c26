"""The live dashboard in headless Chromium against real Daphne with embedded streams."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import live_state, login_with_form, text_of
from tests.support.servers import spark_with_streams

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_a_price_move_on_the_exchange_reaches_the_page_within_two_seconds(
    daphne, browser, sim, alice
):
    sim.control.set_price("BTCUSDT", "60000")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    wait.until(lambda d: text_of(d, "ticker-last") == "60.000")  # a Turkish page
    # Stream health is shown live as well.
    wait.until(lambda d: "bağlı" in text_of(d, "streams"))  # the state "up" in Turkish

    sim.control.set_price("BTCUSDT", "61234.5")
    moved = time.monotonic()
    WebDriverWait(browser, 2, poll_frequency=0.02).until(
        lambda d: text_of(d, "ticker-last") == "61.234,5"
    )
    assert time.monotonic() - moved < 2.0
    # Updated in place: still the same page, no reload.
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1
    assert browser.find_elements(By.CSS_SELECTOR, "#depth-body tr td.num")


def test_a_trader_sees_the_order_form_with_dry_run_checked_and_a_viewer_does_not(
    daphne, browser, sim, alice, bob
):
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
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
    assert result.text.startswith("deneme · ")  # a Turkish page: the dry run's label

    browser.delete_all_cookies()
    login_with_form(browser, server.url, bob)
    browser.get(server.url + "/")
    WebDriverWait(browser, 10).until(lambda d: live_state(d) == "open")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=order-form]")


def test_numbers_and_words_follow_the_pages_language(daphne, browser, sim, alice):
    sim.control.set_price("BTCUSDT", "61234.5", mark="61234.5")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    for lang, last, balance, state, risk in (
        ("tr", "61.234,5", "10.000,00 USDT", "açık", "Devre kesici: kapalı"),
        ("en", "61,234.5", "10,000.00 USDT", "open", "Circuit breaker: closed"),
    ):
        browser.add_cookie({"name": "django_language", "value": lang, "path": "/"})
        browser.get(server.url + "/?symbol=BTCUSDT")
        wait.until(
            lambda d, lang=lang: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        )
        wait.until(lambda d: live_state(d) == "open")
        wait.until(lambda d, last=last: text_of(d, "ticker-last") == last)
        wait.until(lambda d, balance=balance: text_of(d, "account-balance") == balance)
        assert text_of(browser, "live-state") == state
        wait.until(lambda d, risk=risk: text_of(d, "risk-status").startswith(risk))
        if lang == "tr":
            card = text_of(browser, "risk-status")
            assert "Bugünkü K/Z 0,00" in card and "Günlük zarar limiti" in card, card
            # Each part of the day's PnL and what the limit counts, in Turkish.
            parts = "Gerçekleşen 0 · Komisyonlar 0 · Fonlama 0 (zarar limiti net K/Z'yi sayar)"
            assert parts in card, card
            for english in ("breaker", "PnL", "limit ", "left"):
                assert english not in card, card
            # The order book's quantities (under 1.000 here) show a decimal comma, never a point.
            rows = browser.execute_script(  # read at once: the book is redrawn as it moves
                "return [...document.querySelectorAll('#depth-body tr')]"
                ".map(r => [...r.cells].map(c => c.textContent))"
            )
            quantities = [row[i] for row in rows for i in (0, 3)]
            assert quantities and all("." not in q for q in quantities), rows
            assert any("," in q for q in quantities), rows
