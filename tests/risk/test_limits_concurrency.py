"""Operators saving the limits page at the same moment: each change is audited against the
values it really replaced (the limits row lock), none is lost from the log."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from audit.models import AuditEntry
from risk.limits import limits_update
from risk.models import RiskLimits

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def form(notional: int) -> dict:
    return {
        "max_notional_usd": str(notional),
        "default_max_position_usd": "500",
        "daily_loss_limit_usd": "50",
        "trading_day_timezone": "UTC",
        "trading_day_start_hour": "0",
    }


def test_simultaneous_saves_chain_their_old_and_new_values(make_user):
    operators = [make_user(f"op{i}", "operator") for i in range(WORKERS)]
    RiskLimits.load()
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            start.wait(timeout=30)
            limits_update(user=operators[i], data=form(200 + i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors

    entries = list(
        AuditEntry.objects.filter(action="risk.limits.change", outcome="ok").order_by("pk")
    )
    assert len(entries) == WORKERS
    # Each save replaced exactly what the previous one wrote: no two read the same old row.
    olds = [e.payload["old"]["maxNotionalUsd"] for e in entries]
    news = [e.payload["new"]["maxNotionalUsd"] for e in entries]
    assert olds[0] == "100" and olds[1:] == news[:-1]
    assert RiskLimits.load().max_notional_usd == Decimal(news[-1])
