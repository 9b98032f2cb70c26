"""Run and confirm a canary from the page in headless Chromium, against Daphne and the stand-in."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from canary.models import CanaryRun
from tests.support.browser import login_with_form

pytestmark = pytest.mark.e2e


def test_a_trader_runs_and_confirms_a_canary_from_the_page(sim, daphne, browser, alice):
    server = daphne(**sim.spark_env())
    login_with_form(browser, server.url, alice)
    browser.get(server.url + "/canary/")
    browser.find_element(By.ID, "canary-run").click()
    row = WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "tr[data-status=SIMULATED]")
    )
    run_id = int(row.get_attribute("data-run-id"))
    row.find_element(By.CSS_SELECTOR, ".confirm-button").click()
    dialog = browser.find_element(By.ID, "confirm-dialog")
    assert dialog.is_displayed() and "ETHUSDT" in dialog.text
    browser.find_element(By.ID, "confirm-cancel").click()  # asking again: cancel sends nothing
    assert CanaryRun.objects.get(pk=run_id).status == "SIMULATED"
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-run-id='{run_id}']")
    row.find_element(By.CSS_SELECTOR, ".confirm-button").click()
    browser.find_element(By.ID, "confirm-ok").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f"tr[data-run-id='{run_id}'][data-status=CONFIRMED]"
        )
    )
    run = CanaryRun.objects.get(pk=run_id)
    assert run.status == "CONFIRMED" and run.confirmed_by == alice
    assert "close" in run.confirmation
