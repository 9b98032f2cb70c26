"""Every page in real Chromium: Turkish for --lang=tr and --lang=en browsers until English is
picked, no sideways scroll or clipped column at 1280 px and 390 px, WCAG AA contrast."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import login, make_driver
from tests.support.english import english_in
from tests.support.layout import CONTRAST_JS, OVERFLOW_JS, VISIBLE_STRINGS_JS
from tests.support.pages import page_urls
from tests.support.servers import spark_with_streams

pytestmark = pytest.mark.e2e

# Where the dashboard screenshots go (docs/img when SPARK_SCREENSHOTS_DIR=docs/img).
SHOTS = os.environ.get("SPARK_SCREENSHOTS_DIR", "")


@pytest.fixture
def site(daphne, sim, olga, settings):
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"  # the planted session's key
    sim.control.set_price("BTCUSDT", "61234.5", mark="61234.5")
    server = spark_with_streams(daphne, sim)
    return server, page_urls(olga)


@pytest.fixture
def open_browser():
    drivers = []

    def start(lang: str | None = None):
        driver, profile = make_driver(lang)
        drivers.append((driver, profile))
        return driver

    yield start
    for driver, profile in drivers:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def settle(browser, name: str) -> None:
    """Wait until the page's scripts drew what they draw (live data, redrawn tables)."""
    wait = WebDriverWait(browser, 20, poll_frequency=0.1)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    if name == "dashboard":
        wait.until(
            lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "open"
        )
        wait.until(lambda d: d.find_element(By.ID, "ticker-last").text not in ("", "—"))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#streams-body td[data-state]"))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=breaker]"))
        # The chart titles the library's attribution link in the page's language once its
        # candles loaded: read the page after that, not the library's English default.
        wait.until(
            lambda d: (
                d.find_element(By.ID, "chart").get_attribute("data-state") in ("ready", "error")
            )
        )
    if name == "portfolio":
        wait.until(lambda d: d.find_element(By.ID, "portfolio").get_attribute("data-snapshot"))


def visit_all(browser, server, urls, check) -> list[str]:
    problems = []
    for name, url in urls.items():
        browser.get(server.url + url)
        settle(browser, name)
        problems += [f"{url}: {p}" for p in check(name)]
    return problems


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_a_browser_in_either_language_sees_turkish_until_english_is_picked(
    site, open_browser, olga, lang
):
    server, urls = site
    browser = open_browser(lang)
    assert browser.execute_script("return navigator.language").startswith(lang)
    login(browser, server.url, olga)

    def english_words(name):
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "tr"
        found = english_in(browser.execute_script(VISIBLE_STRINGS_JS))
        return [f"{words} in {text!r}" for text, words in found]

    problems = visit_all(browser, server, urls, english_words)
    assert not problems, "\n".join(problems)

    # The switch: English from now on, on every page, whatever the browser's language.
    browser.get(server.url + "/")
    Select(browser.find_element(By.NAME, "language")).select_by_value("en")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    )
    assert browser.title == "Dashboard · Spark"
    browser.get(server.url + "/portfolio")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


@pytest.mark.parametrize("width", [1280, 390])
def test_no_page_scrolls_sideways_or_clips_a_column(site, open_browser, olga, width):
    server, urls = site
    browser = open_browser("tr")
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    login(browser, server.url, olga)
    assert browser.execute_script("return document.documentElement.clientWidth") == width

    problems = visit_all(browser, server, urls, lambda name: browser.execute_script(OVERFLOW_JS))
    assert not problems, "\n".join(problems)

    browser.get(server.url + "/")
    settle(browser, "dashboard")
    if SHOTS:
        # the picture shows the chart drawn (its candles loaded) and a frame painted after it
        WebDriverWait(browser, 20, poll_frequency=0.1).until(
            lambda d: d.find_element(By.ID, "chart").get_attribute("data-state") == "ready"
        )
        browser.execute_async_script(
            "const done = arguments[0];"
            " requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
        )
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SHOTS) / f"dashboard-{width}.png"))


def test_every_text_on_every_page_has_aa_contrast(site, open_browser, olga):
    server, urls = site
    browser = open_browser("tr")
    login(browser, server.url, olga)
    problems = visit_all(browser, server, urls, lambda name: browser.execute_script(CONTRAST_JS))
    assert not problems, "\n".join(problems)
