"""The copilot page on a hedge-mode account in Chromium: the action's listing names the side.

The stand-in is switched into hedge mode with a LONG and a SHORT ETHUSDT position. A trader asks
for the positions (Spark reads them), then to close the long: the confirmation listing shows
"Pozisyon yönü: Uzun", and the dry run sent through the normal API is on the LONG side.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import action_of, ask_copilot, login_with_form, response_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _side(sim, side: str, position_side: str, quantity: str) -> None:
    r = sim.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side=side,
        type="MARKET",
        quantity=quantity,
        positionSide=position_side,
    )
    assert r.status_code == 200, r.text


def _orders_at_exchange(sim) -> int:
    return len(sim.control.signed("GET", "/fapi/v1/allOrders", symbol="ETHUSDT").json())


def test_a_hedge_close_lists_its_side_in_turkish_and_runs_on_that_side(daphne, browser, sim, alice):
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    assert sim.control.position_mode(True)["code"] == 200
    _side(sim, "BUY", "LONG", "0.010")
    _side(sim, "SELL", "SHORT", "0.020")
    server = daphne(SPARK_STREAM_SYMBOLS="ETHUSDT", **sim.spark_env())
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")

    listing = ask_copilot(browser, "pozisyonlarım")
    listing.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    status, _ = response_of(browser, listing)
    assert status == 200  # Spark has read both sides from the exchange

    # the positions panel shows one row a side, labelled as the chat labels them
    WebDriverWait(browser, 20).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#panel-positions td[data-position-side]")) == 2
        )
    )
    cells = browser.find_elements(By.CSS_SELECTOR, "#panel-positions td[data-position-side]")
    assert [c.text for c in cells] == ["ETHUSDT Uzun", "ETHUSDT Kısa"]

    both = ask_copilot(browser, "ETH pozisyonumu kapat")
    reply = both.find_element(By.CSS_SELECTOR, "[data-testid=reply]").text
    assert "Uzun 0,01" in reply and "Kısa 0,02" in reply, reply

    turn = ask_copilot(browser, "ETH long pozisyonumu kapat")
    assert action_of(turn)["body"]["positionSide"] == "LONG"
    shown = turn.find_element(By.CSS_SELECTOR, "[data-testid=confirm-list]").text
    assert "Pozisyon yönü" in shown and "Uzun" in shown, shown
    assert "Long" not in shown and "positionSide" not in shown
    before = _orders_at_exchange(sim)
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    assert "Pozisyon yönü: Uzun" in alert.text, alert.text
    alert.accept()
    status, response = response_of(browser, turn)
    assert status == 200, response
    assert response["order"]["positionSide"] == "LONG"
    assert response["order"]["side"] == "SELL"
    assert _orders_at_exchange(sim) == before  # a dry run: nothing reached the exchange
