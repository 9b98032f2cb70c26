"""Helpers of the Strategy Lab tests: permissions granted per user, a short period."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

HOUR = 3_600_000


@pytest.fixture(autouse=True)
def fresh_runner_feed():
    """The feed keeps bars per stream in memory; every test starts on a reset stand-in."""
    from strategies.feed import feed

    feed.reset()
    yield feed
    feed.reset()


def grant(user, *codes: str):
    """Give user the strategies permissions (independent of the role table's state)."""
    for code in codes:
        app, codename = code.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


@pytest.fixture
def quant(alice):
    """alice, allowed to backtest and to propose changes."""
    return grant(alice, "strategies.run_backtest", "strategies.propose_change")


@pytest.fixture
def approver(olga):
    """olga, allowed to backtest, propose and approve."""
    return grant(
        olga,
        "strategies.run_backtest",
        "strategies.propose_change",
        "strategies.approve_proposal",
    )


def period(hours_back_start: int = 700, hours_back_end: int = 400) -> dict:
    now = int(time.time() * 1000)
    now -= now % HOUR
    return {
        "start": datetime.fromtimestamp((now - hours_back_start * HOUR) / 1000, UTC).isoformat(),
        "end": datetime.fromtimestamp((now - hours_back_end * HOUR) / 1000, UTC).isoformat(),
    }
