"""A live order from the dashboard needs an explicit confirmation; Cancel sends nothing."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from risk.models import RiskLimits
from tests.support.browser import ask_copilot, live_state, login_with_form, response_of
from tests.support.servers import spark_with_streams

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# The docs image is refreshed only on request (SPARK_UPDATE_DOCS_IMAGES=1): a plain test run
# writes its screenshot to tmp_path and leaves the repository clean.
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "live-order-confirm.png"


def save_screenshot(browser, tmp_path: Path) -> Path:
    """Screenshot into tmp_path; copy it over the docs image when SPARK_UPDATE_DOCS_IMAGES=1."""
    shot = tmp_path / DOCS_IMAGE.name
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("SPARK_UPDATE_DOCS_IMAGES") == "1":
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMAGE)
    return shot


def open_dashboard(browser, server, user, language: str) -> None:
    login_with_form(browser, server.url, user)
    browser.add_cookie({"name": "django_language", "value": language, "path": "/"})
    browser.get(server.url + "/?symbol=BTCUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == language)
    # The notional of a market order is valued at the mark: wait until the page has one.
    wait.until(lambda d: live_state(d) == "open")
    wait.until(lambda d: d.find_element(By.ID, "ticker-mark").text not in ("", "—"))


def fill_order(browser, *, type_: str, quantity: str, price: str = "") -> None:
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=order-form]")
    Select(form.find_element(By.NAME, "type")).select_by_value(type_)
    qty = form.find_element(By.NAME, "quantity")
    qty.clear()
    qty.send_keys(quantity)
    price_input = form.find_element(By.NAME, "price")
    price_input.clear()
    price_input.send_keys(price)
    dry_run = form.find_element(By.NAME, "dryRun")
    if dry_run.is_selected():
        dry_run.click()
    assert not dry_run.is_selected()


def dialog(browser):
    box = browser.find_element(By.CSS_SELECTOR, "[data-testid=live-order-dialog]")
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("open") is not None)
    return box


def field(box, testid: str) -> str:
    return box.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text


def orders_at_exchange(sim) -> int:
    return sim.control.counters()["orders"]


def result_text(browser) -> str:
    WebDriverWait(browser, 15).until(
        lambda d: d.find_element(By.ID, "order-result").text not in ("", "…")
    )
    return browser.find_element(By.ID, "order-result").text


def test_it_asks_before_a_live_order_and_cancel_sends_nothing(
    daphne, browser, sim, alice, tmp_path
):
    sim.control.set_price("BTCUSDT", "61234.5", mark="61234.5")
    # Room for a 1,224 USD order (the default cap is 100), so the notional needs a thousands mark.
    limits = RiskLimits.load()
    limits.max_notional_usd = Decimal("5000")
    limits.save()
    server = spark_with_streams(daphne, sim)
    open_dashboard(browser, server, alice, "tr")
    before = orders_at_exchange(sim)

    fill_order(browser, type_="MARKET", quantity="0.02")
    browser.find_element(By.CSS_SELECTOR, "#order-form button.buy").click()
    box = dialog(browser)
    assert field(box, "confirm-symbol") == "BTCUSDT"
    assert field(box, "confirm-side") == "Al"
    assert field(box, "confirm-quantity") == "0,02"
    # 0.02 x 61234.5 = 1224.69, in Turkish format, valued at the mark.
    assert field(box, "confirm-notional").startswith("≈ 1.224,69 USDT")
    assert "işaret fiyatı" in field(box, "confirm-notional")
    assert "sim" in field(box, "confirm-environment").lower()
    # Cancel has the focus, so Enter cannot send a live order by accident.
    focused = browser.switch_to.active_element
    assert focused.get_attribute("data-testid") == "confirm-cancel"
    save_screenshot(browser, tmp_path)

    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-cancel]").click()
    assert result_text(browser) == "İptal edildi: hiçbir şey gönderilmedi."
    assert box.get_attribute("open") is None
    assert orders_at_exchange(sim) == before

    # Confirmed this time: exactly one order reaches the exchange, then the form is dry-run again.
    browser.find_element(By.CSS_SELECTOR, "#order-form button.buy").click()
    box = dialog(browser)
    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-send]").click()
    result = result_text(browser)
    assert browser.find_element(By.ID, "order-result").get_attribute("class") == "ok", result
    assert not result.startswith(("dry-run", "deneme", "dry run"))
    assert orders_at_exchange(sim) == before + 1
    assert browser.find_element(By.CSS_SELECTOR, "#order-form [name=dryRun]").is_selected()


def test_a_dry_run_order_is_sent_without_a_dialog(daphne, browser, sim, alice):
    sim.control.set_price("BTCUSDT", "50000")
    server = spark_with_streams(daphne, sim)
    open_dashboard(browser, server, alice, "tr")
    before = orders_at_exchange(sim)
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=order-form]")
    assert form.find_element(By.NAME, "dryRun").is_selected()
    Select(form.find_element(By.NAME, "type")).select_by_value("LIMIT")
    form.find_element(By.NAME, "quantity").clear()
    form.find_element(By.NAME, "quantity").send_keys("0.002")
    form.find_element(By.NAME, "price").send_keys("50000")
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    assert result_text(browser).startswith("deneme · ")  # the dry run, labelled in Turkish
    box = browser.find_element(By.CSS_SELECTOR, "[data-testid=live-order-dialog]")
    assert box.get_attribute("open") is None
    assert orders_at_exchange(sim) == before


def test_the_dialog_speaks_english_on_english_pages(daphne, browser, sim, alice):
    sim.control.set_price("BTCUSDT", "60000")
    server = spark_with_streams(daphne, sim)
    open_dashboard(browser, server, alice, "en")
    before = orders_at_exchange(sim)

    fill_order(browser, type_="LIMIT", quantity="0.03", price="50000.5")
    browser.find_element(By.CSS_SELECTOR, "#order-form button.sell").click()
    box = dialog(browser)
    assert box.find_element(By.TAG_NAME, "h2").text == "Send a real order?"
    assert field(box, "confirm-side") == "Sell"
    assert field(box, "confirm-quantity") == "0.03"
    # A limit order is valued at its limit price: 0.03 x 50000.5 = 1500.015 -> 1,500.02.
    assert field(box, "confirm-notional") == "≈ 1,500.02 USDT (at the limit price)"
    assert field(box, "confirm-environment") == "STAND-IN (SIM)"

    # Escape closes the dialog like Cancel: nothing is sent.
    browser.switch_to.active_element.send_keys("\ue00c")
    assert result_text(browser) == "Cancelled: nothing was sent."
    assert orders_at_exchange(sim) == before


def test_the_copilot_asks_the_same_before_it_runs_a_live_order(daphne, browser, sim, alice):
    sim.control.set_price("ETHUSDT", "3000.5", mark="3000.5")
    # Room for a 1,500 USD order (the default caps are 100 per order, 500 per position).
    limits = RiskLimits.load()
    limits.max_notional_usd = Decimal("5000")
    limits.default_max_position_usd = Decimal("5000")
    limits.save()
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/copilot-home")
    WebDriverWait(browser, 20).until(lambda d: live_state(d) == "open")
    # The side panels speak Turkish too: the socket's state and the balance as 10.000 (not 10000.0).
    assert browser.find_element(By.ID, "live-state").text == "açık"
    WebDriverWait(browser, 10).until(
        lambda d: "10.000\n" in d.find_element(By.ID, "panel-account").text + "\n"
    )
    before = orders_at_exchange(sim)

    turn = ask_copilot(browser, "gerçek emir 0,5 ETH al")
    run = turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]")
    out = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response]")
    # The Run button subscribed the symbol's ticker: the dialog can value the order at the mark.
    box = browser.find_element(By.CSS_SELECTOR, "[data-testid=live-order-dialog]")

    def dialog_with_notional(d):
        run.click()
        shown = dialog(d)
        if field(shown, "confirm-notional").startswith("≈"):
            return shown
        shown.find_element(By.CSS_SELECTOR, "[data-testid=confirm-cancel]").click()
        return False

    box = WebDriverWait(browser, 10, poll_frequency=0.3).until(dialog_with_notional)
    assert field(box, "confirm-symbol") == "ETHUSDT"
    assert field(box, "confirm-side") == "Al"
    assert field(box, "confirm-quantity") == "0,5"
    assert field(box, "confirm-notional").startswith("≈ 1.500,25 USDT")
    assert "sim" in field(box, "confirm-environment").lower()
    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-cancel]").click()
    WebDriverWait(browser, 5).until(lambda d: out.text == "İptal edildi: hiçbir şey gönderilmedi.")
    assert orders_at_exchange(sim) == before

    run.click()
    dialog(browser).find_element(By.CSS_SELECTOR, "[data-testid=confirm-send]").click()
    status, answer = response_of(browser, turn)
    assert status == 200, answer
    assert orders_at_exchange(sim) == before + 1
