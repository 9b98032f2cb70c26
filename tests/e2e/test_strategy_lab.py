"""Strategy Lab in a real browser on real Daphne and the stand-in: backtest, propose, approve."""

from __future__ import annotations

import pytest
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
    wait = WebDriverWait(browser, 30)

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
    wait.until(lambda d: d.find_element(By.ID, "proposal-status").text == "APPROVED")
    s.refresh_from_db()
    assert s.version == 2 and s.document["indicators"][0]["params"]["period"] == 8
    assert Strategy.objects.get(pk=s.pk).version == 2
