"""The dashboard's wallet total also in TL, at the stand-in BTCTurk's USDTTRY, or marked."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import live_state, login_with_form, text_of
from tests.support.servers import spark_with_streams

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_the_wallet_total_is_shown_in_tl_in_turkish_format(daphne, browser, sim, alice):
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=BTCUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    # USD with 2 decimals on the page
    wait.until(lambda d: text_of(d, "account-balance") == "10.000,00 USDT")
    # 10,000 USDT × 34.50 (the stand-in's USDTTRY), computed exactly in the page
    wait.until(lambda d: text_of(d, "account-balance-try") == "≈ 345.000 TL")
    box = browser.find_element(By.ID, "account-balance-try")
    assert box.get_attribute("data-status") == "ok" and box.get_attribute("data-rate") == "34.5"


def test_without_btcturk_the_page_says_the_rate_is_unavailable(daphne, browser, sim, alice):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    server = daphne(**{**sim.spark_env(), "BTCTURK_BASE_URL": closed})
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/")
    box = browser.find_element(By.ID, "account-balance-try")
    assert box.get_attribute("data-status") == "unavailable"
    assert "TL kuru alınamadı" in box.text and "TL" not in box.text.replace("TL kuru", "")
