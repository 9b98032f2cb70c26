"""Two confirms of one run at the same instant (double click, two tabs) place one order, on a
one-way account and on a hedge-mode one (where the other side's position stays as it was)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from canary.models import CanaryRun
from canary.services import CanaryConflict, canary_confirm, canary_run
from futures.position_mode import position_mode_forget
from tests.support.stand_in import exchange_orders, hedge_order, position_sides, switch_mode

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["one-way", "hedge"])
def mode(request, exchange):
    """The stand-in in either mode; in hedge mode with 0.010 SHORT the canary must not touch."""
    position_mode_forget()  # a reading of another test's account must not carry over
    if request.param == "hedge":
        switch_mode(exchange, hedge=True)
        hedge_order(exchange, "ETHUSDT", "SELL", "SHORT", "0.010")
    yield request.param
    position_mode_forget()


def test_concurrent_confirms_place_exactly_one_order(make_user, exchange, mode):  # noqa: F811
    alice = make_user("alice", "trader")
    run = canary_run(user=alice)
    assert run.status == "SIMULATED" and run.position_mode == mode
    before = len(exchange_orders(exchange, "ETHUSDT"))
    start = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[str] = []

    def confirm() -> None:
        try:
            start.wait(timeout=30)
            outcomes.append(canary_confirm(user=alice, run_id=run.pk).status)
        except CanaryConflict:
            outcomes.append("conflict")
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == ["CONFIRMED", "conflict", "conflict", "conflict"]
    placed = exchange_orders(exchange, "ETHUSDT")[before:]
    assert [o["clientOrderId"] for o in placed] == [
        f"canary-{run.pk}-open",
        f"canary-{run.pk}-close",
    ]
    assert CanaryRun.objects.get(pk=run.pk).status == "CONFIRMED"
    if mode == "hedge":
        assert position_sides(exchange, "ETHUSDT") == {"LONG": 0, "SHORT": Decimal("-0.010")}
    else:
        assert position_sides(exchange, "ETHUSDT") == {"BOTH": 0}
