"""An entry with its TP/SL from the dashboard's order form: confirmed together, placed together."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.test_live_order_confirmation import dialog, field, result_text
from tests.support.browser import live_state, login_with_form
from tests.support.servers import spark_with_streams
from tests.support.stand_in import exchange_position

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _type(form, name: str, text: str) -> None:
    box = form.find_element(By.NAME, name)
    box.clear()
    box.send_keys(text)


def test_a_live_market_entry_with_tp_and_sl_from_the_form(daphne, browser, sim, alice):
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=ETHUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    wait.until(lambda d: d.find_element(By.ID, "ticker-mark").text not in ("", "—"))

    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=order-form]")
    Select(form.find_element(By.NAME, "type")).select_by_value("MARKET")
    _type(form, "quantity", "0,02")
    _type(form, "takeProfit", "3.600,5")  # Turkish figures, as a trader types them
    _type(form, "stopLoss", "3300")
    form.find_element(By.NAME, "dryRun").click()
    form.find_element(By.CSS_SELECTOR, "button.buy").click()

    box = dialog(browser)
    assert field(box, "confirm-tp") == "3.600,5"
    assert field(box, "confirm-sl") == "3.300"
    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-send]").click()
    text = result_text(browser)
    assert browser.find_element(By.ID, "order-result").get_attribute("data-protection") == "placed"
    assert "TP/SL: kondu" in text, text

    assert exchange_position(sim, "ETHUSDT") == Decimal("0.02")
    algos = sim.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
    assert sorted(
        (a["orderType"], Decimal(a["triggerPrice"]), a["closePosition"]) for a in algos
    ) == [
        ("STOP_MARKET", Decimal("3300"), True),
        ("TAKE_PROFIT_MARKET", Decimal("3600.5"), True),
    ]
    # A dry run with a stop on the wrong side is refused before anything is sent, in Turkish.
    _type(form, "takeProfit", "")
    _type(form, "stopLoss", "3500")
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    out = browser.find_element(By.ID, "order-result")
    WebDriverWait(browser, 15).until(lambda d: out.get_attribute("class") == "error")
    assert out.text.startswith("Uzun emirde stopLoss, giriş fiyatı 3.400"), out.text
