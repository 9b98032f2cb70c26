"""The login page works in a real browser against real Daphne."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_a_user_logs_in_and_sees_the_dashboard(daphne, browser, alice):
    server = daphne()
    browser.get(server.url + "/login/")
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".who"))
    assert browser.current_url.rstrip("/") == server.url
    assert "alice" in browser.find_element(By.CSS_SELECTOR, ".who").text


def test_a_wrong_password_shows_an_error(daphne, browser, alice):
    server = daphne()
    browser.get(server.url + "/login/")
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    alert = WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[role=alert]")
    )
    assert alert.is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, ".who")
