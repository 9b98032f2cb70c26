"""The order form in headless Chromium (Turkish) against the stand-in: leverage and margin type,
size in USDT or % of the balance with the Turkish decimal comma, the preview's liquidation for
both sides, and a live USDT-sized order confirmed and sent as the quantity it became."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from futures.models import Order
from tests.support.browser import live_state, login_with_form
from tests.support.servers import spark_with_streams
from tests.support.stand_in import exchange_position

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _by(browser, testid: str):
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid='{testid}']")


def _risk(sim) -> dict:
    (row,) = sim.control.signed("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT").json()
    return row


def _type(el, text: str) -> None:
    el.clear()
    el.send_keys(text)


def test_a_trader_sizes_in_usdt_and_percent_and_sets_leverage_from_the_form(
    daphne, browser, sim, alice
):
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=ETHUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    form = _by(browser, "order-form")
    Select(form.find_element(By.NAME, "type")).select_by_value("MARKET")
    preview = _by(browser, "order-preview")

    # Leverage and margin type, through the API, on the exchange.
    leverage = _by(browser, "order-leverage")
    wait.until(lambda d: leverage.get_attribute("value") != "")  # the symbol's, from the preview
    _type(leverage, "10")
    Select(_by(browser, "order-margin-type")).select_by_value("ISOLATED")
    _by(browser, "order-settings-apply").click()
    result = _by(browser, "order-settings-result")
    wait.until(lambda d: result.get_attribute("class") in ("ok", "error"))
    assert result.get_attribute("class") == "ok", result.text
    assert result.text == "Kaldıraç 10x · Marjin tipi izole"
    assert (int(_risk(sim)["leverage"]), _risk(sim)["marginType"]) == (10, "isolated")

    # 60,5 USDT -> 60.5 / 3400 = 0.01779... -> 0.017, said in the preview, for both sides.
    Select(_by(browser, "order-size-mode")).select_by_value("quoteQuantity")
    _type(_by(browser, "order-size"), "60,5")
    wait.until(lambda d: preview.get_attribute("data-quantity") == "0.017", preview.text)
    assert preview.text.startswith("60,5 USDT → 0,017 (adıma aşağı yuvarlandı 0,001)")
    long_liq = Decimal(preview.get_attribute("data-liq-long"))
    short_liq = Decimal(preview.get_attribute("data-liq-short"))
    assert long_liq < Decimal("3400") < short_liq  # a short dies above its entry
    assert "Uzun ≈" in preview.text and "Kısa ≈" in preview.text

    # A dry run sized in USDT: the server makes the quantity and the answer says so.
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    out = browser.find_element(By.ID, "order-result")
    wait.until(lambda d: out.get_attribute("class") in ("ok", "error") and out.text != "…")
    assert out.get_attribute("class") == "ok", out.text
    assert "60,5 USDT → 0,017" in out.text
    assert Order.objects.get().quantity == Decimal("0.017")

    # % of the available balance (as margin, at 10x), with a decimal comma.
    available = Decimal(sim.control.signed("GET", "/fapi/v3/account").json()["availableBalance"])
    Select(_by(browser, "order-size-mode")).select_by_value("balancePercent")
    _type(_by(browser, "order-size"), "0,1")
    expected = (available * Decimal("0.001") * 10 / Decimal("3400")).quantize(
        Decimal("0.001"), rounding=ROUND_FLOOR
    )
    wait.until(lambda d: preview.get_attribute("data-quantity") == f"{expected.normalize():f}")
    assert preview.text.startswith("0,1 % →")

    # Above 100 % is refused by the server, naming nothing sent.
    _type(_by(browser, "order-size"), "150")
    wait.until(lambda d: preview.get_attribute("data-allowed") == "false" and preview.text)
    assert not preview.get_attribute("data-quantity")

    # A live order sized in USDT: confirmed as the quantity it became, and sent as that.
    Select(_by(browser, "order-size-mode")).select_by_value("quoteQuantity")
    _type(_by(browser, "order-size"), "60,5")
    form.find_element(By.NAME, "dryRun").click()
    form.find_element(By.CSS_SELECTOR, "button.sell").click()
    box = _by(browser, "live-order-dialog")
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("open") is not None)
    assert "0,017" in box.text
    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-send]").click()
    wait.until(lambda d: exchange_position(sim, "ETHUSDT") == Decimal("-0.017"))
