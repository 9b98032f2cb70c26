"""The profile page in a real browser: link a Telegram chat with the shown code, choose events."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from notifications.models import Preference, TelegramLink
from tests.support.browser import login
from tests.support.telegram import TelegramStandIn
from tests.support.waiting import poll

pytestmark = pytest.mark.e2e


def test_a_trader_links_telegram_from_the_profile_page(daphne, browser, alice):
    telegram = TelegramStandIn().start()
    try:
        server = daphne(
            SPARK_NOTIFIER_EMBEDDED="true",
            TELEGRAM_API_URL=telegram.url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_POLL_TIMEOUT_SECONDS="1",
        )
        login(browser, server.url, alice)
        browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
        browser.get(server.url + "/profile/")
        assert "Bağlı bir Telegram sohbeti yok." in browser.page_source
        browser.find_element(By.ID, "telegram-link-code").click()
        # the POST redirects back to the page, which now shows the code once
        wait = WebDriverWait(browser, 20)
        shown = wait.until(lambda d: d.find_elements(By.ID, "telegram-code"))[0].text
        assert shown.startswith("/start ")
        telegram.say(501, shown)
        poll(lambda: TelegramLink.objects.filter(user=alice, chat_id=501).exists(), 30,
             what="the chat linked")  # fmt: skip
        browser.get(server.url + "/profile/")
        assert "501" in browser.find_element(By.ID, "telegram-link").text
        # choose only fills on Telegram, in English
        form = browser.find_element(By.ID, "prefs-telegram")
        for box in form.find_elements(By.CSS_SELECTOR, "input[name=kinds]"):
            if box.is_selected() != (box.get_attribute("value") == "fill"):
                box.click()
        form.find_element(By.CSS_SELECTOR, "select[name=language] option[value=en]").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        saved = Preference.objects.filter(
            user=alice, channel="telegram", kinds=["fill"], language="en"
        )
        poll(saved.exists, 10, what="the preferences saved")
        # the row is saved before the redirected page is drawn: wait for that page
        wait.until(lambda d: "Bildirim tercihleri kaydedildi." in d.page_source)
    finally:
        telegram.stop()
