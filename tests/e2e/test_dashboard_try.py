"""Every USD total on the dashboard also in TL, at the stand-in BTCTurk's USDTTRY (34.5), exact
and in Turkish format, following the live figures; a stale or missing rate is marked."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import live_state, login_with_form
from tests.support.servers import spark_with_streams

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

RATE = Decimal("34.5")
CENT = Decimal("0.01")


def _tr(value: Decimal) -> str:
    """A TL figure as a Turkish page writes it: 1.234,56."""
    text = f"{value.quantize(CENT):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _figure(browser, element_id: str) -> dict:
    """One figure's text, exact value, status (read in one script: the cards are redrawn)."""
    return browser.execute_script(
        "const e = document.getElementById(arguments[0]); if (!e) return {};"
        " return {text: e.textContent, value: e.dataset.value || null,"
        " title: e.title || null, status: e.dataset.status || null};",
        element_id,
    )


def _usd(browser, element_id: str) -> Decimal | None:
    """A USD figure's exact value (its hover title, or data-value for the uPnL total)."""
    f = _figure(browser, element_id)
    exact = f.get("value") or f.get("title")
    return Decimal(exact) if exact else None


def _agrees(browser, usd_id: str, try_id: str) -> bool:
    """The TL figure is the USD figure × 34.5 to the kuruş, written the Turkish way."""
    usd = _usd(browser, usd_id)
    tl = _figure(browser, try_id)
    if usd is None or not tl.get("value"):
        return False
    want = (usd * RATE).quantize(CENT)
    return Decimal(tl["value"]) == want and tl["text"] == f"≈ {_tr(want)} TL"


def _risk_figures(browser) -> dict:
    return browser.execute_script(
        "const p = document.querySelector('#risk-status .num');"
        " const t = (id) => { const e = document.getElementById(id);"
        " return e ? {text: e.textContent, value: e.dataset.value || null} : null; };"
        " return {title: p ? p.title : null, pnl: t('risk-pnl-try'), left: t('risk-left-try')};"
    )


def _open_tr_dashboard(browser, server, user, symbol="ETHUSDT"):
    login_with_form(browser, server.url, user)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + f"/?symbol={symbol}")
    wait = WebDriverWait(browser, 30, poll_frequency=0.05)
    wait.until(lambda d: live_state(d) == "open")
    return wait


def test_every_usd_total_on_the_dashboard_is_in_tl_and_follows_live(daphne, browser, sim, alice):
    server = spark_with_streams(daphne, sim)
    wait = _open_tr_dashboard(browser, server, alice)
    rate = browser.find_element(By.ID, "fx")
    assert rate.get_attribute("data-status") == "ok" and rate.get_attribute("data-rate") == "34.5"
    assert "USDTTRY 34,5" in rate.text and "eski kur" not in rate.text

    # The account card: wallet 10,000 USDT = 345.000,00 TL; available and margin too.
    wait.until(lambda d: _figure(d, "account-balance-try").get("text") == "≈ 345.000,00 TL")
    for usd_id in ("account-available", "account-margin"):
        wait.until(lambda d, u=usd_id: _agrees(d, u, u + "-try"))

    # The risk card: the day's PnL and the budget left.
    def risk_agrees(d) -> bool:
        r = _risk_figures(d)
        if not r["title"] or not r["pnl"] or not r["left"] or not r["pnl"]["value"]:
            return False
        pnl, _limit, left = (Decimal(x) for x in r["title"].split(" / "))
        return Decimal(r["pnl"]["value"]) == (pnl * RATE).quantize(CENT) and Decimal(
            r["left"]["value"]
        ) == (left * RATE).quantize(CENT)

    wait.until(risk_agrees)

    # A position opened at the exchange: live, the wallet pays the commission, the uPnL follows
    # the mark, and every TL figure follows its USD figure.
    before = _usd(browser, "account-balance")
    sim.control.signed(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.5"
    ).raise_for_status()
    wait.until(lambda d: _usd(d, "account-balance") not in (None, before))
    wait.until(lambda d: _agrees(d, "account-balance", "account-balance-try"))
    sim.control.set_price("ETHUSDT", "3521.37", mark="3521.37")
    wait.until(lambda d: (_usd(d, "account-upnl") or 0) > 0)
    wait.until(lambda d: _agrees(d, "account-upnl", "account-upnl-try"))
    wait.until(lambda d: _agrees(d, "account-available", "account-available-try"))
    wait.until(lambda d: _agrees(d, "account-margin", "account-margin-try"))
    wait.until(risk_agrees)
    assert _figure(browser, "account-upnl-try")["status"] == "ok"

    sim.control.signed(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.5"
    ).raise_for_status()


def test_a_stale_rate_is_marked_on_the_rate_and_on_every_tl_figure(daphne, browser, sim, alice):
    # No age is allowed: BTCTurk's ticker is older than that by the time the page shows it.
    server = daphne(
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT",
        PORTFOLIO_FX_MAX_AGE_SECONDS="0",
        **sim.spark_env(),
    )
    wait = _open_tr_dashboard(browser, server, alice)
    rate = browser.find_element(By.ID, "fx")
    assert rate.get_attribute("data-status") == "stale"
    assert "eski kur" in rate.text and "USDTTRY 34,5" in rate.text
    wait.until(lambda d: _figure(d, "account-balance-try").get("text") == "≈ 345.000,00 TL")
    for try_id in ("account-balance-try", "account-available-try", "account-margin-try"):
        wait.until(lambda d, t=try_id: _figure(d, t).get("status") == "stale")
        assert "stale" in browser.find_element(By.ID, try_id).get_attribute("class")


def test_a_rate_that_ages_while_the_page_is_open_turns_stale(daphne, browser, sim, alice):
    server = spark_with_streams(daphne, sim)
    wait = _open_tr_dashboard(browser, server, alice)
    wait.until(lambda d: _figure(d, "account-balance-try").get("status") == "ok")
    # The page's clock moves 10 minutes on (the rate was read at page time): stale, marked.
    browser.execute_script(
        "const real = Date.now; Date.now = () => real() + 10 * 60 * 1000;"
        " SparkFx.put(document.getElementById('account-balance-try'), '10000');"
    )
    wait.until(lambda d: _figure(d, "account-balance-try").get("status") == "stale")
    rate = browser.find_element(By.ID, "fx")
    assert rate.get_attribute("data-status") == "stale" and "eski kur" in rate.text


def test_without_btcturk_the_page_says_the_rate_is_unavailable(daphne, browser, sim, alice):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    server = daphne(**{**sim.spark_env(), "BTCTURK_BASE_URL": closed})
    login_with_form(browser, server.url, alice)
    browser.add_cookie({"name": "django_language", "value": "tr", "path": "/"})
    browser.get(server.url + "/")
    rate = browser.find_element(By.ID, "fx")
    assert rate.get_attribute("data-status") == "unavailable"
    assert "TL kuru alınamadı" in rate.text
    assert _figure(browser, "account-balance-try").get("text") in ("", "—")
