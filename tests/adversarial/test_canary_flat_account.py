"""Finding 9 (canary): the canary never changes a position the trader already holds.

On an account short 0.014 ETH a BUY canary used to partly close the short and leave it changed;
the confirm must now refuse (409) unless the account is flat in the symbol, and place nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from canary.models import CanaryRun
from tests.support.stand_in import exchange_orders, exchange_position, run_canary

pytestmark = pytest.mark.django_db


def _open_short(sim, quantity: str) -> None:
    response = sim.control.signed(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="SELL", type="MARKET", quantity=quantity
    )
    assert response.status_code == 200, response.text


def test_it_refuses_a_canary_on_an_account_holding_a_short_and_leaves_the_short_unchanged(
    api,
    alice,
    token_for,
    exchange,  # noqa: F811 - the fixture imported above
):
    _open_short(exchange, "0.014")
    assert exchange_position(exchange, "ETHUSDT") == Decimal("-0.014")
    orders_before = len(exchange_orders(exchange, "ETHUSDT"))
    token = token_for(alice)
    run = run_canary(api, token, side="BUY")

    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "CANARY_POSITION_NOT_FLAT"
    assert error["details"]["positionAmt"] == "-0.014"
    # Turkish by default, with the position in Turkish figures
    assert error["message"].startswith("Hesapta -0,014 ETHUSDT var;"), error["message"]
    assert "yalnızca düz (pozisyonsuz) hesapta" in error["message"]
    english = api.client.post(
        "/canary/confirm",
        {"runId": run["id"]},
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",  # a token client may ask for English
    )
    assert english.json()["error"]["code"] == "CANARY_POSITION_NOT_FLAT"
    assert "flat" in english.json()["error"]["message"]
    assert exchange_position(exchange, "ETHUSDT") == Decimal("-0.014")
    assert len(exchange_orders(exchange, "ETHUSDT")) == orders_before
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"
    assert AuditEntry.objects.filter(
        action="canary.confirm", outcome="rejected", payload__reason="position not flat"
    ).exists()


def test_a_canary_on_a_flat_account_still_opens_and_closes(
    api,
    alice,
    token_for,
    exchange,  # noqa: F811 - the fixture imported above
):
    token = token_for(alice)
    run = run_canary(api, token)
    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert response.json()["run"]["status"] == "CONFIRMED", response.content
    assert exchange_position(exchange, "ETHUSDT") == Decimal(0)
