"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium."""

from __future__ import annotations

import json
import shutil
import tempfile

from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.sessions import session_key

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def make_driver(lang: str | None = None) -> tuple[webdriver.Chrome, str]:
    """Start headless Chromium with a fresh profile; return the driver and its profile dir.

    lang: the browser's own language (`--lang` and its Accept-Language), as a user's machine has.
    """
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        raise RuntimeError("chromium/chromedriver missing: run scripts/test_services.sh")
    profile = tempfile.mkdtemp(prefix="spark-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    if lang:
        options.add_argument(f"--lang={lang}")
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    return driver, profile


def login(driver, base_url: str, user) -> None:
    """Log user in by planting a real session cookie (the login form has its own test)."""
    key = session_key(user)
    driver.get(base_url + "/login/")
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": key, "path": "/"})


def login_with_form(driver, base_url: str, user) -> None:
    """Log user in through the real login form, as a person would (password of tests/conftest)."""
    from tests.conftest import PASSWORD

    driver.get(base_url + "/login/")
    driver.find_element(By.NAME, "username").send_keys(user.get_username())
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".who"))


def text_of(browser, testid: str) -> str:
    """The text of the element with that data-testid."""
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text


def live_state(browser) -> str:
    """The live socket's state code (the badge shows it in the page's language)."""
    return browser.find_element(By.ID, "live-state").get_attribute("data-state")


def last_turn(browser):
    """The newest turn of the copilot chat, or None."""
    turns = browser.find_elements(By.CSS_SELECTOR, "[data-testid=turn]")
    return turns[-1] if turns else None


def ask_copilot(browser, text: str):
    """Type text into the copilot chat, send it, and return the new turn."""
    before = len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=turn]"))
    box = browser.find_element(By.ID, "chat-prompt")
    box.send_keys(text)
    browser.find_element(By.CSS_SELECTOR, "#chat-form button[type=submit]").click()
    WebDriverWait(browser, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=turn]")) == before + 1
    )
    return last_turn(browser)


def action_of(turn) -> dict:
    """The action a copilot turn proposes (its folded JSON, read whether shown or not)."""
    pre = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-json]")
    return json.loads(pre.get_attribute("textContent"))


def response_of(browser, turn, seconds: float = 15) -> tuple[int, object]:
    """Wait for the answer of a turn's Run; return (HTTP status, the answer's JSON)."""
    out = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response]")
    WebDriverWait(browser, seconds).until(lambda d: out.get_attribute("data-status"))
    raw = out.find_element(By.CSS_SELECTOR, "[data-testid=action-response-json]")
    return int(out.get_attribute("data-status")), json.loads(raw.get_attribute("textContent"))
