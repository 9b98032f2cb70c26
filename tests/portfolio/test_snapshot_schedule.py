"""The optional in-process schedule stores snapshots while the server runs."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from portfolio.models import PortfolioSnapshot
from portfolio.tasks import periodic_snapshots
from spark_site import startup
from tests.support.stand_in import seed_portfolio


def test_the_schedule_is_registered_as_a_server_startup_hook():
    assert periodic_snapshots in startup._hooks  # noqa: SLF001


def count_snapshots() -> int:
    try:
        return PortfolioSnapshot.objects.count()
    finally:
        connections.close_all()  # asgiref's worker thread: leave no session behind


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_snapshot_every_interval(exchange, settings):
    seed_portfolio(exchange)
    settings.PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS = 0.1

    async def run_until(count: int) -> None:
        task = asyncio.get_running_loop().create_task(periodic_snapshots())
        deadline = time.monotonic() + 10
        try:
            while await sync_to_async(count_snapshots)() < count:
                assert time.monotonic() < deadline, "no scheduled snapshots"
                assert not task.done(), task
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run_until(2))
    assert all(not s.partial for s in PortfolioSnapshot.objects.all())


@pytest.mark.django_db
def test_it_does_nothing_when_the_interval_is_zero(settings):
    settings.PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS = 0
    asyncio.run(asyncio.wait_for(periodic_snapshots(), 2))
    assert PortfolioSnapshot.objects.count() == 0
