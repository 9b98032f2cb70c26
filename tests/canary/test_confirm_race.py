"""Two confirms of one run at the same instant (double click, two tabs) place one order."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from canary.models import CanaryRun
from canary.services import CanaryConflict, canary_confirm, canary_run
from tests.support.stand_in import exchange_orders

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]


def test_concurrent_confirms_place_exactly_one_order(make_user, exchange):  # noqa: F811
    alice = make_user("alice", "trader")
    run = canary_run(user=alice)
    assert run.status == "SIMULATED"
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
    opens = [o for o in exchange_orders(exchange, "ETHUSDT") if not o["reduceOnly"]]
    assert len(opens) == 1
    assert CanaryRun.objects.get(pk=run.pk).status == "CONFIRMED"
