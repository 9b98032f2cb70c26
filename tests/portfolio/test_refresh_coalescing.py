"""A burst of refresh requests reads the exchanges once, not once per request."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from portfolio.models import PortfolioSnapshot
from portfolio.services import portfolio_current
from tests.support.stand_in import seed_portfolio


@pytest.mark.django_db(transaction=True)
def test_simultaneous_refreshes_share_one_read_of_the_exchanges(exchange):
    seed_portfolio(exchange)
    exchange.control.faults(latency_ms=150)  # every read takes a while, so the burst overlaps
    start = threading.Barrier(5)
    got: list[int] = []

    def ask() -> None:
        start.wait()
        try:
            got.append(portfolio_current(refresh=True).id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    exchange.control.clear_faults()

    assert len(got) == 5
    assert PortfolioSnapshot.objects.count() == len(set(got)) <= 2
