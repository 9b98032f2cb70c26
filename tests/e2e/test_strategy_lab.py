"""Strategy Lab in a real browser on real Daphne and the stand-in: backtest, propose, approve."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from strategies import services
from strategies.documents import ema_cross
from strategies.models import BacktestRun, ParamChangeProposal, Strategy
from tests.strategies.conftest import grant
from tests.support.browser import login

pytestmark = pytest.mark.e2e


def test_a_user_runs_a_backtest_and_another_approves_a_proposal(
    daphne, browser, alice, olga, sim, settings
):
    # the planted session must be signed with the key the Daphne process uses
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    grant(alice, "strategies.run_backtest", "strategies.propose_change")
    grant(olga, "strategies.run_backtest", "strategies.approve_proposal")
    server = daphne(**sim.spark_env())
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))

    login(browser, server.url, alice)
    browser.get(server.url + "/strategy-lab/")
    days = browser.find_element(By.CSS_SELECTOR, "#backtest-form input[name=days]")
    days.clear()
    days.send_keys("20")
    browser.find_element(By.ID, "run-backtest").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.equity-chart polyline"))
    run = BacktestRun.objects.get()
    assert browser.current_url.endswith(f"/strategy-lab/backtests/{run.pk}")
    rows = browser.find_elements(By.CSS_SELECTOR, "#trades tbody tr")
    assert len(rows) == run.metrics["trades"] > 0
    assert browser.find_element(By.ID, "trade-count").text == str(run.metrics["trades"])

    s = services.strategy_create(user=alice, name="ema lab", document=ema_cross(5, 20))
    browser.get(server.url + f"/strategy-lab/strategies/{s.pk}")
    field = browser.find_element(By.CSS_SELECTOR, "input[data-param='fast.period']")
    field.clear()
    field.send_keys("8")
    browser.find_element(By.CSS_SELECTOR, "#proposal-form input[name=days]").clear()
    browser.find_element(By.CSS_SELECTOR, "#proposal-form input[name=days]").send_keys("10")
    browser.find_element(By.ID, "propose").click()
    wait.until(lambda d: d.find_elements(By.ID, "diff"))
    p = ParamChangeProposal.objects.get()
    assert "fast.period" in browser.find_element(By.ID, "diff").text
    assert not browser.find_elements(By.ID, "approve")  # four-eyes: not for the proposer

    browser.delete_all_cookies()
    login(browser, server.url, olga)
    browser.get(server.url + f"/strategy-lab/proposals/{p.pk}")
    browser.find_element(By.ID, "approve").click()
    wait.until(lambda d: d.find_element(By.ID, "proposal-status").text == "onaylandı")
    assert browser.find_element(By.ID, "proposal-status").get_attribute("data-status") == "APPROVED"
    s.refresh_from_db()
    assert s.version == 2 and s.document["indicators"][0]["params"]["period"] == 8
    assert Strategy.objects.get(pk=s.pk).version == 2


def test_an_optimization_shows_progress_then_heat_maps_and_a_runner_starts_and_stops(
    daphne, browser, alice, olga, sim, settings
):
    settings.SECRET_KEY = "test-secret-key-for-daphne-subprocess"
    grant(alice, "strategies.run_backtest")
    grant(olga, "strategies.run_strategy", "strategies.propose_change")
    # the embedded stream supervisor feeds the paper runner its kline stream
    server = daphne(**sim.spark_env(), SPARK_STREAMS_EMBEDDED="true")
    # the runner card is redrawn live and the page reloads after a form: retry stale reads
    # (Chromium also reports a node swapped out under a read as "does not belong to the
    # document", a plain WebDriverException; a real failure still ends in the wait's timeout)
    redrawn = (StaleElementReferenceException, WebDriverException)
    wait = WebDriverWait(browser, 60, ignored_exceptions=redrawn)

    login(browser, server.url, alice)
    browser.get(server.url + "/strategy-lab/")
    form = browser.find_element(By.ID, "opt-form")
    for name, value in (("values1", "3,5,8"), ("values2", "20,30"), ("days", "30")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    browser.find_element(By.ID, "run-optimization").click()
    wait.until(lambda d: d.find_elements(By.ID, "opt-status"))
    # the page follows the job (socket or polling) and reloads with the results when done
    wait.until(lambda d: d.find_element(By.ID, "opt-status").get_attribute("data-status") == "DONE")
    assert browser.find_element(By.ID, "opt-status").text == "tamamlandı"  # a Turkish page
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "svg.heatmap rect")) == 12)
    assert browser.find_element(By.ID, "opt-count").text == "6/6"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#walk-forward tbody tr")) == 3

    long_doc = {
        "name": "always long",
        "symbol": "ETHUSDT",
        "timeframe": "1m",
        "indicators": [],
        "entry": [{"left": "close", "op": ">", "right": 0}],
        "exit": [{"left": "close", "op": "<", "right": 1}],
        "position_size": {"type": "fixed_qty", "value": 0.008},
    }
    s = services.strategy_create(user=olga, name="paper", document=long_doc)
    # four-eyes on a new strategy: alice (not its creator) approves it on the page
    grant(alice, "strategies.approve_proposal")
    browser.get(server.url + f"/strategy-lab/strategies/{s.pk}")
    browser.find_element(By.ID, "approve-strategy").click()
    wait.until(lambda d: "onaylandı" in d.find_element(By.ID, "strategy-approval").text)
    browser.delete_all_cookies()
    login(browser, server.url, olga)
    browser.get(server.url + f"/strategy-lab/strategies/{s.pk}")
    browser.find_element(By.ID, "deploy").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".runner .runner-status"))
    assert browser.find_element(By.CSS_SELECTOR, ".runner .runner-status").text == "çalışıyor"
    sim.control.clock(61_000)  # a new minute closes on the stand-in: the entry rule fires
    wait.until(lambda d: "open ok BUY" in d.find_element(By.CSS_SELECTOR, ".runner-events").text)
    assert browser.find_element(By.CSS_SELECTOR, ".runner-qty").text == "0,008"  # Turkish
    browser.find_element(By.CSS_SELECTOR, ".runner-stop").click()
    wait.until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".runner .runner-status").text == "durduruldu"
    )
