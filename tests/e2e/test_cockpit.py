"""The cockpit in headless Chromium against the stand-in: act on a position and on open orders
from the dashboard, and after every step the stand-in's own state matches the page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import live_state, login_with_form
from tests.support.servers import spark_with_streams
from tests.support.stand_in import exchange_position

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _algos(sim) -> list[dict]:
    return sim.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()


def _position_risk(sim) -> dict:
    (row,) = sim.control.signed("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT").json()
    return row


def _by(browser, testid: str):
    return browser.find_element(By.CSS_SELECTOR, f"[data-testid='{testid}']")


def _click(browser, testid: str) -> None:
    """Click a button of a live table in one script (the table is redrawn as events arrive)."""
    assert browser.execute_script(
        'const b = document.querySelector("[data-testid=\'" + arguments[0] + "\']");'
        " if (!b) return false; b.click(); return true;",
        testid,
    ), testid


def _text(browser, testid: str) -> str:
    return browser.execute_script(
        'const e = document.querySelector("[data-testid=\'" + arguments[0] + "\']");'
        " return e ? e.textContent : '';",
        testid,
    )


def _row(browser):
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-symbol='ETHUSDT']")
    return rows[0] if rows else None


def _col(browser, col: str, attr: str | None = None):
    """A cell of the ETHUSDT row, read in one script (the row is redrawn as prices move)."""
    return browser.execute_script(
        "const c = document.querySelector(\"tr[data-symbol='ETHUSDT'] [data-col='\" + arguments[0]"
        ' + "\']"); if (!c) return null;'
        " return arguments[1] ? c.getAttribute(arguments[1]) : c.textContent;",
        col,
        attr,
    )


def _confirm_live(browser) -> None:
    box = _by(browser, "live-order-dialog")
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("open") is not None)
    box.find_element(By.CSS_SELECTOR, "[data-testid=confirm-send]").click()


def _act(browser, button: str, fields: dict[str, str], *, live: bool = True) -> str:
    """Open a row action's dialog, fill it, send it (live: through the confirmation)."""
    _click(browser, button)
    box = _by(browser, "cockpit-dialog")
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("open") is not None)
    for testid, value in fields.items():
        el = _by(browser, testid)
        el.clear()
        el.send_keys(value)
    dry = _by(browser, "cockpit-dry-run")
    if live and dry.is_displayed() and dry.is_selected():
        dry.click()
    result = _by(browser, "cockpit-result")
    before = result.text
    _by(browser, "cockpit-send").click()
    if live and button.split("-")[0] in ("close", "protect", "trail"):
        _confirm_live(browser)
    WebDriverWait(browser, 15).until(
        lambda d: result.text not in ("", "…", before) or "error" in result.get_attribute("class")
    )
    assert result.get_attribute("class") == "ok", result.text
    return result.text


def test_a_trader_works_a_position_and_its_orders_from_the_page(daphne, browser, sim, alice):
    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=ETHUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    wait.until(lambda d: d.find_element(By.ID, "ticker-mark").text not in ("", "—"))

    # Open a position from the order form (live, confirmed).
    form = _by(browser, "order-form")
    Select(form.find_element(By.NAME, "type")).select_by_value("MARKET")
    qty = form.find_element(By.NAME, "quantity")
    qty.clear()
    qty.send_keys("0.02")
    form.find_element(By.NAME, "dryRun").click()
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    _confirm_live(browser)
    wait.until(lambda d: _col(d, "size") == "0,02")
    assert exchange_position(sim, "ETHUSDT") == Decimal("0.02")
    assert _col(browser, "side") == "Uzun"  # Long, in the page's language

    # The row's uPnL follows the mark price, to the stand-in's own figure.
    sim.control.set_price("ETHUSDT", "3500", mark="3500")
    wait.until(lambda d: _col(d, "mark") == "3.500")
    expected = Decimal(_position_risk(sim)["unRealizedProfit"])
    wait.until(lambda d: Decimal(_col(d, "upnl", "data-value") or "0") == expected)
    assert Decimal(browser.find_element(By.ID, "account-upnl").get_attribute("data-value")) == (
        expected
    )
    assert _col(browser, "liq") not in (None, "")

    # Set a stop-loss, then move it: the stand-in holds exactly the one at the new trigger.
    _act(browser, "protect-ETHUSDT", {"protect-sl": "3300"})
    wait.until(lambda d: "SL 3.300" in (_col(d, "protect") or ""))
    assert [
        (a["orderType"], a["closePosition"], Decimal(a["triggerPrice"])) for a in _algos(sim)
    ] == [("STOP_MARKET", True, Decimal("3300"))]
    _act(browser, "protect-ETHUSDT", {"protect-sl": "3350,5"})  # Turkish decimal comma
    wait.until(lambda d: "SL 3.350,5" in (_col(d, "protect") or ""))
    assert [Decimal(a["triggerPrice"]) for a in _algos(sim)] == [Decimal("3350.5")]

    # Trail the position.
    _act(browser, "trail-ETHUSDT", {"trail-rate": "1,5"})
    wait.until(lambda d: "1,5%" in (_col(d, "protect") or ""))
    trails = [a for a in _algos(sim) if a["orderType"] == "TRAILING_STOP_MARKET"]
    assert [Decimal(a["callbackRate"]) for a in trails] == [Decimal("1.5")]

    # Partially close.
    _act(browser, "close-ETHUSDT", {"close-quantity": "0,01"})
    wait.until(lambda d: _col(d, "size") == "0,01")
    assert exchange_position(sim, "ETHUSDT") == Decimal("0.01")

    # Cancel the stop from its badge on the row.
    (sl,) = [a for a in _algos(sim) if a["orderType"] == "STOP_MARKET"]
    _click(browser, f"protect-cancel-{sl['clientAlgoId']}")
    wait.until(lambda d: "SL" not in (_col(d, "protect") or ""))
    assert [a["orderType"] for a in _algos(sim)] == ["TRAILING_STOP_MARKET"]

    # Close the rest: the row goes, and the account card shows no stale uPnL.
    _act(browser, "close-ETHUSDT", {})
    wait.until(lambda d: _row(d) is None)
    assert exchange_position(sim, "ETHUSDT") == 0
    wait.until(lambda d: d.find_element(By.ID, "account-upnl").get_attribute("data-value") == "0")
    # ... and the rest of the card agrees with the exchange's account once it is re-read.
    account = sim.control.signed("GET", "/fapi/v2/account").json()

    def shown(testid: str) -> Decimal:
        """The figure at full precision: the card shows 2 decimals, the exact value on hover."""
        element = browser.find_element(By.ID, testid)
        exact = element.get_attribute("title")
        if exact:
            return Decimal(exact)
        text = element.text.split(" ")[0]
        return Decimal(text.replace(".", "").replace(",", ".")) if text not in ("", "—") else None

    wait.until(lambda d: shown("account-available") == Decimal(account["availableBalance"]))
    wait.until(lambda d: shown("account-ratio") == 0)
    assert shown("account-balance") == Decimal(account["totalWalletBalance"])

    # Open orders: a resting LIMIT placed from the form, edited in place, then cancelled.
    Select(form.find_element(By.NAME, "type")).select_by_value("LIMIT")
    qty.clear()
    qty.send_keys("0.01")
    price = form.find_element(By.NAME, "price")
    price.clear()
    price.send_keys("3000")
    form.find_element(By.NAME, "dryRun").click()
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    _confirm_live(browser)
    cid = wait.until(
        lambda d: d.execute_script(
            "const r = [...document.querySelectorAll('#orders-body tr[data-cid]')]"
            ".find(r => r.textContent.includes('LIMIT')); return r ? r.dataset.cid : null;"
        )
    )
    _click(browser, f"edit-{cid}")
    edit_price = _by(browser, "edit-price")
    edit_price.clear()
    edit_price.send_keys("3050,5")
    _by(browser, f"save-{cid}").click()
    wait.until(lambda d: "3.050,5" in _text(d, f"order-{cid}"))
    remote = sim.control.signed("GET", "/fapi/v1/order", symbol="ETHUSDT", origClientOrderId=cid)
    assert Decimal(remote.json()["price"]) == Decimal("3050.5")

    _click(browser, f"cancel-{cid}")
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"[data-testid='order-{cid}']"))
    remote = sim.control.signed("GET", "/fapi/v1/order", symbol="ETHUSDT", origClientOrderId=cid)
    assert remote.json()["status"] == "CANCELED"

    # Cancel-all of every symbol takes the trailing stop left over.
    _by(browser, "cancel-everything").click()
    wait.until(lambda d: _algos(sim) == [])
    wait.until(lambda d: _text(d, "cockpit-result").startswith("Bitti"))


def test_a_dry_run_limit_rests_on_the_page_until_the_market_crosses_it(daphne, browser, sim, alice):
    from futures.models import Order

    sim.control.set_price("ETHUSDT", "3400", mark="3400")
    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=ETHUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")

    form = _by(browser, "order-form")
    Select(form.find_element(By.NAME, "type")).select_by_value("LIMIT")
    qty = form.find_element(By.NAME, "quantity")
    qty.clear()
    qty.send_keys("0.0085")
    price = form.find_element(By.NAME, "price")
    price.clear()
    price.send_keys("3300.123")
    form.find_element(By.CSS_SELECTOR, "button.buy").click()  # dry run: the default
    wait.until(lambda d: "→" in d.find_element(By.ID, "order-result").text)
    result = browser.find_element(By.ID, "order-result")
    said = result.text
    assert result.get_attribute("data-status") == "NEW" and "açık" in said
    assert "0,0085 → 0,008" in said and "3.300,123 → 3.300,12" in said, said
    order = Order.objects.get(dry_run=True, symbol="ETHUSDT")
    assert order.status == "NEW" and not order.fills.exists()
    # Shown open (on paper) in the open orders table.
    row = f"order-{order.client_order_id}"
    wait.until(lambda d: "deneme" in _text(d, row) and "açık" in _text(d, row))
    assert sim.control.signed("GET", "/fapi/v1/openOrders").json() == []

    # The market crosses it: filled there, at its limit price, and gone from the open orders.
    sim.control.set_price("ETHUSDT", "3290", mark="3290")
    wait.until(lambda d: _text(d, row) == "")
    order.refresh_from_db()
    assert order.status == "FILLED"
    assert order.fills.get().price == Decimal("3300.12")


def test_the_order_form_takes_any_trading_symbol_a_decimal_comma_and_post_only(
    daphne, browser, sim, alice
):
    from futures.models import Order

    server = spark_with_streams(daphne, sim)
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/?symbol=ETHUSDT")
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    listed = browser.execute_script(
        "return [...document.querySelectorAll('#trading-symbols option')].map(o => o.value)"
    )
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"} <= set(listed), listed

    form = _by(browser, "order-form")
    Select(form.find_element(By.NAME, "type")).select_by_value("LIMIT")
    price = form.find_element(By.NAME, "price")
    price.clear()
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    out = browser.find_element(By.ID, "order-result")
    wait.until(lambda d: out.text != "")
    assert out.get_attribute("class") == "error"
    assert out.text == "Bir fiyat girin: LIMIT ya da tetikli emir fiyat ister."
    assert not Order.objects.exists()  # nothing was sent

    # The live preview names the rule a too-large order would hit, before anything is sent.
    price.send_keys("3300")
    qty = form.find_element(By.NAME, "quantity")
    qty.clear()
    qty.send_keys("0,05")
    preview = _by(browser, "order-preview")
    wait.until(lambda d: "Tutar ≈ 165 USDT" in preview.text and "100" in preview.text, preview.text)
    assert preview.get_attribute("data-allowed") == "false"
    assert "Tahmini tasfiye: Uzun ≈" in preview.text and "Kısa ≈" in preview.text
    price.clear()

    symbol = _by(browser, "order-symbol")
    symbol.clear()
    symbol.send_keys("bnbusdt")  # not streamed, but TRADING on the exchange
    qty.clear()
    qty.send_keys("0,1")
    price.send_keys("590,5")
    Select(_by(browser, "order-tif")).select_by_value("GTX")
    form.find_element(By.CSS_SELECTOR, "button.buy").click()
    wait.until(
        lambda d: out.get_attribute("class") == "ok" and out.get_attribute("data-status") == "NEW"
    )
    order = Order.objects.get()
    assert (order.symbol, order.price, order.time_in_force, order.dry_run) == (
        "BNBUSDT",
        Decimal("590.5"),
        "GTX",
        True,
    )
