"""The dashboard chart in headless Chromium against the stand-in: candles from REST, the last
candle moved by the kline stream, the position's entry line, and a timeframe switch reloading."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import live_state, login_with_form
from tests.support.servers import spark_with_streams
from tests.support.stand_in import exchange_position

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _chart(browser) -> dict | None:
    return browser.execute_script("return window.SparkChart ? window.SparkChart.state() : null;")


def _confirm_live(browser) -> None:
    box = browser.find_element(By.CSS_SELECTOR, "[data-testid=live-order-dialog]")
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("open") is not None)
    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-send]").click()


def test_the_chart_draws_candles_follows_the_stream_and_shows_the_entry(
    daphne, browser, sim, alice, token_for
):
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=ETHUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")

    # Candles of the page's symbol, from REST, drawn on a canvas.
    wait.until(lambda d: (_chart(d) or {}).get("bars", 0) > 10)
    state = _chart(browser)
    assert state["symbol"] == "ETHUSDT" and state["interval"] == "1m" and state["loads"] == 1
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=chart] canvas")

    # A price move reaches the last candle through the kline stream (not a reload).
    sim.control.set_price("ETHUSDT", "3456.7", mark="3456.7")
    wait.until(lambda d: _chart(d)["last"]["close"] == 3456.7)
    state = _chart(browser)
    assert state["loads"] == 1 and state["liveUpdates"] > 0
    assert state["last"]["high"] >= 3456.7

    # Opening a position draws its entry (and liquidation) line.
    assert "entry" not in [line["kind"] for line in state["lines"]]
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=order-form]")
    Select(form.find_element(By.NAME, "type")).select_by_value("MARKET")
    qty = form.find_element(By.NAME, "quantity")
    qty.clear()
    qty.send_keys("0,02")
    form.find_element(By.NAME, "dryRun").click()
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    _confirm_live(browser)
    wait.until(lambda d: "entry" in [line["kind"] for line in _chart(d)["lines"]])
    assert exchange_position(sim, "ETHUSDT") == Decimal("0.02")
    (entry,) = [line["price"] for line in _chart(browser)["lines"] if line["kind"] == "entry"]
    assert Decimal(str(entry)) == Decimal("3456.7")
    assert (
        browser.find_element(By.CSS_SELECTOR, "[data-testid=chart]")
        .get_attribute("data-lines")
        .split()[0]
        == "entry"
    )

    # TP/SL placed through the API are drawn where the exchange holds them.
    r = requests.post(
        server.url + "/futures/position.protect",
        json={"symbol": "ETHUSDT", "takeProfit": "3600", "stopLoss": "3300", "dryRun": False},
        headers={"Authorization": f"Bearer {token_for(alice)}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    wait.until(lambda d: {"tp", "sl"} <= {line["kind"] for line in _chart(d)["lines"]})
    lines = {line["kind"]: line["price"] for line in _chart(browser)["lines"]}
    assert (lines["tp"], lines["sl"]) == (3600, 3300)
    algos = sim.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
    assert sorted(Decimal(a["triggerPrice"]) for a in algos) == [Decimal(3300), Decimal(3600)]

    # Another timeframe reloads the history at that interval.
    browser.find_element(By.CSS_SELECTOR, "#chart-intervals [data-interval='1h']").click()
    wait.until(lambda d: _chart(d)["loads"] == 2)
    state = _chart(browser)
    assert state["interval"] == "1h" and state["bars"] > 10
    chart = browser.find_element(By.CSS_SELECTOR, "[data-testid=chart]")
    assert chart.get_attribute("data-interval") == "1h"
    assert "entry" in chart.get_attribute("data-lines").split()
    # and the stream keeps moving the new timeframe's last candle
    sim.control.set_price("ETHUSDT", "3470", mark="3470")
    wait.until(lambda d: _chart(d)["last"]["close"] == 3470)

    # Another symbol: its own history, its own live bar, none of ETHUSDT's lines.
    Select(browser.find_element(By.ID, "symbol")).select_by_value("BTCUSDT")
    wait.until(lambda d: _chart(d)["symbol"] == "BTCUSDT" and _chart(d)["loads"] == 3)
    assert _chart(browser)["lines"] == []
    sim.control.set_price("BTCUSDT", "64321.5", mark="64321.5")
    wait.until(lambda d: _chart(d)["last"]["close"] == 64321.5)
