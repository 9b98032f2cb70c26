"""The canary on a hedge-mode account (issue 22): it follows the mode read from the exchange.

The stand-in's own account is switched to hedge mode with signed calls. A BUY canary goes on
LONG and a SELL one on SHORT; only that side must be flat (the other may hold a position, which
the canary leaves as it is), and the close goes on the same side without reduceOnly, which
Binance refuses in hedge mode. A run simulated in one mode is never confirmed in the other.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.roles import TRADER
from audit.models import AuditEntry
from canary.evidence import digest, verify
from canary.models import CanaryRun
from futures.models import Order
from futures.position_mode import position_mode_forget
from tests.support.stand_in import (
    exchange_orders,
    hedge_order,
    position_sides,
    run_canary,
    switch_mode,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hedge(exchange):
    """The stand-in in hedge mode, Spark's last reading of the mode forgotten before and after."""
    position_mode_forget()  # a reading of another test's account must not carry over
    switch_mode(exchange, hedge=True)
    yield exchange
    position_mode_forget()


def _confirm(api, token, run_id, **body):
    return api.post("/canary/confirm", {"runId": run_id, **body}, token=token)


@pytest.mark.parametrize(
    ("side", "own", "other", "held"),
    [("BUY", "LONG", "SHORT", "-0.010"), ("SELL", "SHORT", "LONG", "0.010")],
)
def test_a_hedge_canary_opens_and_closes_its_own_side_and_leaves_the_other_alone(
    api, alice, token_for, hedge, side, own, other, held
):
    hedge_order(hedge, "ETHUSDT", "SELL" if other == "SHORT" else "BUY", other, "0.010")
    assert position_sides(hedge, "ETHUSDT") == {own: 0, other: Decimal(held)}
    token = token_for(alice)

    run = run_canary(api, token, side=side)
    assert run["status"] == "SIMULATED", run
    assert (run["positionMode"], run["positionSide"]) == ("hedge", own)
    before = len(exchange_orders(hedge, "ETHUSDT"))
    assert before == 1  # the other side's order: the dry run sent nothing

    response = _confirm(api, token, run["id"])
    assert response.status_code == 200, response.content
    confirmed = response.json()["run"]
    assert confirmed["status"] == "CONFIRMED", confirmed

    # exactly two orders reached the exchange, both on the canary's side, neither reduce-only
    placed = exchange_orders(hedge, "ETHUSDT")[before:]
    assert [(o["clientOrderId"], o["side"], o["positionSide"]) for o in placed] == [
        (f"canary-{run['id']}-open", side, own),
        (f"canary-{run['id']}-close", "SELL" if side == "BUY" else "BUY", own),
    ]
    assert [o["reduceOnly"] for o in placed] == [False, False]
    assert [o["status"] for o in placed] == ["FILLED", "FILLED"]
    # its side is flat again; the other side's position is untouched
    assert position_sides(hedge, "ETHUSDT") == {own: 0, other: Decimal(held)}

    conf = confirmed["confirmation"]
    assert conf["open"]["positionSide"] == conf["close"]["positionSide"] == own
    assert conf["close"]["reduceOnly"] is False
    stored = CanaryRun.objects.get(pk=run["id"])
    assert (stored.evidence["positionMode"], stored.evidence["positionSide"]) == ("hedge", own)
    assert stored.evidence["confirmation"]["close"]["positionSide"] == own
    assert stored.links.count() == 2 and verify() == (2, None)
    assert stored.links.first().document["positionSide"] == own  # the simulation's link too
    download = api.get(f"/canary/runs/{run['id']}/evidence")
    assert digest(download.json()) == download["X-Evidence-SHA256"] == stored.evidence_sha256


def test_a_hedge_canary_is_refused_when_its_own_side_holds_a_position(api, alice, token_for, hedge):
    # 0.010 LONG and 0.010 SHORT: the account nets to zero, but the LONG side is not flat
    hedge_order(hedge, "ETHUSDT", "BUY", "LONG", "0.010")
    hedge_order(hedge, "ETHUSDT", "SELL", "SHORT", "0.010")
    token = token_for(alice)
    run = run_canary(api, token)
    assert run["positionSide"] == "LONG"
    sent = len(exchange_orders(hedge, "ETHUSDT"))

    refused = _confirm(api, token, run["id"])

    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "CANARY_POSITION_NOT_FLAT"
    assert error["details"]["positionAmt"] == "0.010"
    assert len(exchange_orders(hedge, "ETHUSDT")) == sent
    assert position_sides(hedge, "ETHUSDT") == {
        "LONG": Decimal("0.010"),
        "SHORT": Decimal("-0.010"),
    }
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"


def test_keep_position_leaves_the_canarys_side_open_in_hedge_mode(api, alice, token_for, hedge):
    token = token_for(alice)
    run = run_canary(api, token, side="SELL")
    response = _confirm(api, token, run["id"], keepPosition=True)
    assert response.json()["run"]["status"] == "CONFIRMED", response.content
    assert position_sides(hedge, "ETHUSDT") == {"LONG": 0, "SHORT": Decimal("-0.008")}
    assert [o["positionSide"] for o in exchange_orders(hedge, "ETHUSDT")] == ["SHORT"]


def test_a_hedge_run_confirmed_after_a_switch_to_one_way_is_refused_and_places_nothing(
    api, alice, token_for, hedge, settings
):
    settings.SPARK_POSITION_MODE_MAX_AGE = 3600  # the confirm must read the mode anyway
    token = token_for(alice)
    run = run_canary(api, token)
    assert (run["positionMode"], run["positionSide"]) == ("hedge", "LONG")
    switch_mode(hedge, hedge=False)

    refused = _confirm(api, token, run["id"])

    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "CANARY_MODE_CHANGED"
    assert "tek yönlü" in error["message"] and "hiçbir şey gönderilmedi" in error["message"]
    assert error["details"] == {
        "runId": run["id"],
        "runPositionMode": "hedge",
        "positionMode": "one-way",
    }
    assert exchange_orders(hedge, "ETHUSDT") == []
    assert Order.objects.filter(dry_run=False).count() == 0
    stored = CanaryRun.objects.get(pk=run["id"])
    assert stored.status == "SIMULATED" and stored.confirmed_at is None
    refusal = AuditEntry.objects.get(action="canary.confirm", outcome="rejected")
    assert refusal.payload["reason"] == "position mode changed"
    assert (refusal.payload["runMode"], refusal.payload["accountMode"]) == ("hedge", "one-way")

    # a run started now follows the account's mode: one-way, on BOTH, closed reduce-only
    again = run_canary(api, token)
    assert (again["positionMode"], again["positionSide"]) == ("one-way", "BOTH")
    confirmed = _confirm(api, token, again["id"]).json()["run"]
    assert confirmed["status"] == "CONFIRMED", confirmed
    assert confirmed["confirmation"]["close"]["reduceOnly"] is True
    assert position_sides(hedge, "ETHUSDT") == {"BOTH": 0}
    assert verify()[1] is None


def test_another_traders_hedge_run_cannot_be_confirmed(api, alice, make_user, token_for, hedge):
    run = run_canary(api, token_for(alice))
    carol = make_user("carol", TRADER)
    refused = _confirm(api, token_for(carol), run["id"])
    assert refused.status_code == 403, refused.content
    assert exchange_orders(hedge, "ETHUSDT") == []
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"
