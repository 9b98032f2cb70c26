"""The copilot pages in headless Chromium against real Daphne and the exchange stand-in."""

from __future__ import annotations

import json

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from copilot.models import StrategyDraft
from tests.support.browser import (
    action_of,
    ask_copilot,
    last_turn,
    login_with_form,
    response_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def start_spark(daphne, sim):
    return daphne(SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT", **sim.spark_env())


def test_a_trader_types_an_order_runs_it_and_sees_the_dry_run_order(daphne, browser, sim, alice):
    sim.control.set_price("ETHUSDT", "3000")
    server = start_spark(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")
    wait = WebDriverWait(browser, 20)
    wait.until(lambda d: d.find_element(By.ID, "live-state").get_attribute("data-state") == "open")

    turn = ask_copilot(browser, "0,01 ETH'yi piyasadan al")
    action = action_of(turn)
    assert action == {
        "method": "POST",
        "path": "/futures/order.place",
        "body": {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.01",
            "dryRun": True,
        },
    }
    assert "dry-run" in turn.find_element(By.CSS_SELECTOR, "[data-testid=reply]").text

    # the JSON is folded away: the page shows words, not code
    assert not turn.find_element(By.CSS_SELECTOR, "[data-testid=action-json]").is_displayed()
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    status, response = response_of(browser, turn)
    assert status == 200, response
    # the answer as the cockpit shows it: named fields in the page's language, its numbers
    out = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response]")
    turkish = out.text.startswith("Yanıt 200")
    assert turkish or out.text.startswith("Response 200"), out.text
    assert "{" not in out.text and "ETHUSDT" in out.text
    assert ("Sembol" if turkish else "Symbol") in out.text
    assert "clientOrderId" not in out.text and "slippageBps" not in out.text
    client_id = response.get("clientOrderId") or response["order"]["clientOrderId"]
    # the order reaches the page's orders panel over /ws/live/
    wait.until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f"#panel-orders tr[data-client-order-id='{client_id}']"
        )
    )


def test_a_viewer_sees_why_run_is_disabled_and_a_destructive_action_asks_first(
    daphne, browser, sim, bob, olga
):
    server = start_spark(daphne, sim)
    login_with_form(browser, server.url, bob)
    browser.get(server.url + "/copilot-home")
    turn = ask_copilot(browser, "buy 0.001 btc")
    run = turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]")
    assert not run.is_enabled()
    reason = turn.find_element(By.CSS_SELECTOR, "[data-testid=run-disabled-reason]").text
    assert "futures.place_order" in reason
    # a read runs for a viewer
    turn = ask_copilot(browser, "futures riskim")
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    status, answer = response_of(browser, turn, 10)
    assert status == 200 and "circuitBreaker" in answer
    out = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response]")
    assert "Devre kesici" in out.text or "Circuit breaker" in out.text, out.text
    assert "circuitBreaker" not in out.text

    browser.delete_all_cookies()
    login_with_form(browser, server.url, olga)
    browser.get(server.url + "/copilot-home")
    turn = ask_copilot(browser, "BTC tüm emirleri iptal et")
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    alert = WebDriverWait(browser, 5).until(lambda d: d.switch_to.alert)
    assert "order.cancelAll" in alert.text
    alert.dismiss()
    out = turn.find_element(By.CSS_SELECTOR, "[data-testid=action-response]")
    WebDriverWait(browser, 5).until(lambda d: out.text != "")
    assert "200" not in out.text  # nothing was sent


def test_the_preset_buttons_ask_the_copilot_and_the_dry_run_preset_runs(
    daphne, browser, sim, alice
):
    sim.control.set_price("ETHUSDT", "3000")
    server = start_spark(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/copilot-home")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=preset-ws]").click()
    WebDriverWait(browser, 10).until(lambda d: last_turn(d) is not None)
    action = action_of(last_turn(browser))
    assert action["method"] == "POST" and action["path"] == "/futures/ws.start"

    browser.find_element(By.CSS_SELECTOR, "[data-testid=preset-dry]").click()
    WebDriverWait(browser, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=turn]")) == 2
    )
    turn = last_turn(browser)
    action = action_of(turn)
    assert action["path"] == "/futures/order.place" and action["body"]["dryRun"] is True
    turn.find_element(By.CSS_SELECTOR, "[data-testid=run-action]").click()
    # the seed's default dry-run order passes the exchange filters and the risk gate
    status, answer = response_of(browser, turn, 10)
    assert status == 200, answer


def test_a_trader_generates_a_strategy_edits_it_and_saves_the_draft(daphne, browser, alice):
    server = daphne()
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/strategy-lab-copilot")
    # the language switch turns the page Turkish
    from selenium.webdriver.support.select import Select

    Select(browser.find_element(By.NAME, "language")).select_by_value("tr")
    WebDriverWait(browser, 10).until(
        lambda d: (
            "Strateji fikri" in d.page_source
            and d.execute_script("return document.readyState") == "complete"
        )
    )
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=generate]").text == "Oluştur"
    browser.find_element(By.ID, "idea").send_keys(
        "BTC 4 saatlik RSI ve MACD ile trend takip stratejisi"
    )
    browser.find_element(By.CSS_SELECTOR, "[data-testid=generate]").click()
    card = WebDriverWait(browser, 10).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "[data-testid=strategy-card]")
            if d.find_element(By.CSS_SELECTOR, "[data-testid=strategy-card]").is_displayed()
            else None
        )
    )
    errors = card.find_element(By.CSS_SELECTOR, "[data-testid=strategy-errors]").text
    assert errors == ""
    # the card is shown and filled in one script task, yet wait for the JSON to be there
    doc = json.loads(
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "strategy-json").get_attribute("textContent")
        )
    )
    assert doc["timeframe"] == "4h" and doc["symbol"] == "BTCUSDT"
    assert "macd.macd" in card.find_element(By.CSS_SELECTOR, "[data-testid=rules-entry]").text
    # the trace's figures in the page's format: the default stop loss 2.5 reads 2,5
    stop_row = card.find_element(By.CSS_SELECTOR, "#strategy-trace tr[data-field=stop_loss_pct]")
    assert stop_row.find_elements(By.TAG_NAME, "td")[1].text == "2,5"

    stop = card.find_element(By.CSS_SELECTOR, "[data-testid=param-stop-loss]")
    stop.clear()
    stop.send_keys("3.5\t")
    WebDriverWait(browser, 5).until(
        lambda d: '"stop_loss_pct": 3.5' in d.find_element(By.ID, "strategy-json").text
    )
    card.find_element(By.CSS_SELECTOR, "[data-testid=save-draft]").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=draft]")
    )
    draft = StrategyDraft.objects.get(owner=alice)
    assert draft.document["stop_loss_pct"] == 3.5
    assert draft.document["timeframe"] == "4h"


def test_an_open_breaker_on_the_live_feed_warns_in_order_replies_and_is_suggested(
    daphne, browser, sim, api, olga, token_for
):
    res = api.post(
        "/futures/risk/circuit-breaker/open", {"reason": "e2e drill"}, token=token_for(olga)
    )
    assert res.status_code == 200, res.content
    server = start_spark(daphne, sim)
    login_with_form(browser, server.url, olga)
    browser.get(server.url + "/copilot-home")
    wait = WebDriverWait(browser, 20)
    # the suggestions are redrawn on every live update: read them fresh, never hold an element
    redrawn = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))

    def breaker_suggestion(d):
        for item in d.find_elements(By.CSS_SELECTOR, "[data-testid=live-suggestion]"):
            # the browser asks for English; the Turkish page says "devre kesiciyi kapat"
            if "close the circuit breaker" in item.text or "devre kesiciyi kapat" in item.text:
                return item
        return None

    redrawn.until(breaker_suggestion)
    turn = ask_copilot(browser, "0,01 eth al")
    assert "Devre kesici AÇIK" in turn.find_element(By.CSS_SELECTOR, "[data-testid=reply]").text

    # the suggested close is offered as a command, and it needs confirmation
    def click_close(d):
        item = breaker_suggestion(d)
        if item is None:
            return False
        item.find_element(By.CSS_SELECTOR, "button").click()
        return True

    redrawn.until(click_close)
    wait.until(lambda d: "risk.breaker.close" in last_turn(d).text)
