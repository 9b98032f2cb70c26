"""The copilot page in headless Chromium: choices as buttons, and the confirmation listing
of what will be done (sizes and prices), against real Daphne and the stand-in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import (
    action_of,
    ask_copilot,
    last_turn,
    login_with_form,
    response_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _hold(api, token, symbol, side, quantity):
    body = {"symbol": symbol, "side": side, "type": "MARKET", "quantity": quantity}
    response = api.post("/futures/order.place", {**body, "dryRun": False}, token=token)
    assert response.status_code == 200, response.content


def test_two_positions_offer_buttons_and_the_close_lists_exactly_what_it_does(
    daphne, browser, exchange, api, alice, token_for
):
    token = token_for(alice)
    _hold(api, token, "ETHUSDT", "BUY", "0.02")
    _hold(api, token, "BNBUSDT", "SELL", "0.1")
    assert api.get("/futures/positions", token=token).status_code == 200  # Spark reads them
    server = daphne(SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT", **exchange.spark_env())
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")

    turn = ask_copilot(browser, "pozisyonumu kapat")
    intent = turn.find_element(By.CSS_SELECTOR, "[data-testid=intent]")
    assert intent.get_attribute("data-intent") == "clarify"
    assert intent.text != "clarify"  # a friendly name, not the id
    buttons = turn.find_elements(By.CSS_SELECTOR, "[data-testid=choice]")
    labels = [b.text for b in buttons]
    assert len(labels) == 2 and labels[0].startswith("BNBUSDT") and labels[1].startswith("ETHUSDT")
    assert not turn.find_elements(By.CSS_SELECTOR, "[data-testid=confirm-list]")

    before = len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=turn]"))
    buttons[1].click()
    WebDriverWait(browser, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=turn]")) == before + 1
    )
    close = last_turn(browser)
    assert (
        close.find_element(By.CSS_SELECTOR, "[data-testid=intent]").get_attribute("data-intent")
        == "position.close"
    )
    listing = close.find_element(By.CSS_SELECTOR, "[data-testid=confirm-list]").text
    assert "ETHUSDT" in listing
    assert "0,02" in listing or "0.02" in listing  # the held size, in the page's number format
    assert "reduce-only" in listing.lower()

    close.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    assert "ETHUSDT" in alert.text and ("0,02" in alert.text or "0.02" in alert.text)
    alert.dismiss()  # nothing is sent
    out = close.find_element(By.CSS_SELECTOR, "[data-testid=action-response]")
    WebDriverWait(browser, 5).until(lambda d: out.text != "")
    assert "{" not in out.text


def test_the_funding_read_and_the_trailing_stop_run_from_the_page(
    daphne, browser, exchange, api, alice, token_for
):
    token = token_for(alice)
    _hold(api, token, "ETHUSDT", "BUY", "0.02")
    assert api.get("/futures/positions", token=token).status_code == 200
    exchange.control.funding("BTCUSDT", "0.0003")
    server = daphne(SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT", **exchange.spark_env())
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")
    # no command is pending any more: the funding read runs, for the named symbol only
    turn = ask_copilot(browser, "BTC fonlama oranı")
    assert action_of(turn)["path"] == "/futures/premiumIndex?symbol=BTCUSDT"
    assert not turn.find_elements(By.CSS_SELECTOR, "[data-testid=run-disabled-reason]")
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    status, answer = response_of(browser, turn)
    assert status == 200 and [r["symbol"] for r in answer["rates"]] == ["BTCUSDT"]
    table = turn.find_element(By.CSS_SELECTOR, "[data-testid=response-table]").text
    assert "BTCUSDT" in table and ("Son fonlama oranı" in table or "Last funding rate" in table)
    assert "0,0003" in table or "0.0003" in table
    trail = ask_copilot(browser, "ETH %1 trailing stop")
    assert not trail.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").get_attribute(
        "disabled"
    )
    listing = trail.find_element(By.CSS_SELECTOR, "[data-testid=confirm-list]").text
    assert "ETHUSDT" in listing and "%1" in listing


def test_a_read_of_positions_is_a_table_with_named_columns_not_json(
    daphne, browser, exchange, api, alice, token_for
):
    token = token_for(alice)
    _hold(api, token, "ETHUSDT", "BUY", "0.02")
    _hold(api, token, "BNBUSDT", "SELL", "0.1")
    server = daphne(SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT", **exchange.spark_env())
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")
    turn = ask_copilot(browser, "pozisyonlarım")
    assert action_of(turn)["path"] == "/futures/positions"
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    status, answer = response_of(browser, turn)
    assert status == 200
    table = turn.find_element(By.CSS_SELECTOR, "[data-testid=response-table]")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "th")]
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    held = [p for p in (answer if isinstance(answer, list) else answer["positions"])
            if p.get("positionAmt") not in ("0", "0.000", 0)]  # fmt: skip
    assert len(rows) == len(held) >= 2
    assert ("Sembol" in headers) or ("Symbol" in headers), headers
    assert "positionAmt" not in headers and "entryPrice" not in headers
    text = table.text
    assert "ETHUSDT" in text and "BNBUSDT" in text
    # the JSON is there for who asks, folded away
    raw = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response-json]")
    assert not raw.is_displayed()
    turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response] details > summary").click()
    assert raw.is_displayed() and "positionAmt" in raw.text


def test_a_stop_loss_lists_the_whole_position_and_runs_on_the_stand_in(
    daphne, browser, exchange, api, alice, token_for
):
    token = token_for(alice)
    _hold(api, token, "ETHUSDT", "BUY", "0.02")
    assert api.get("/futures/positions", token=token).status_code == 200
    server = daphne(SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT", **exchange.spark_env())
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")
    turn = ask_copilot(browser, "gerçek ETH zarar durdur 3300")
    assert action_of(turn)["path"] == "/futures/position.protect"
    listing = turn.find_element(By.CSS_SELECTOR, "[data-testid=confirm-list]").text
    # Turkish labels and number format; the size is the whole position, said so
    assert "Zarar durdur" in listing and "3.300" in listing
    assert "pozisyonun tamamını" in listing and "GERÇEK" in listing.upper()
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    assert "3.300" in alert.text
    alert.accept()
    status, answer = response_of(browser, turn)
    assert status == 200, answer
    assert [p["order"]["type"] for p in answer["placed"]] == ["STOP_MARKET"]
    shown = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response]").text
    assert "Verilen emirler" in shown and "{" not in shown  # a table, the JSON folded away
    (algo,) = exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
    assert algo["orderType"] == "STOP_MARKET" and algo["closePosition"] is True
    assert Decimal(algo["triggerPrice"]) == Decimal("3300")
