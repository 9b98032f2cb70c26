"""The catch-up after a user-stream reconnect reads through the order path's own pooled client
and leaves its connections open (closing them made the next order open a new one)."""

from __future__ import annotations

import pytest

from futures.binance.rest import client_from_settings
from futures.events import reconcile_after_connect
from futures.models import AccountSnapshot, PositionSnapshot

pytestmark = pytest.mark.django_db(transaction=True)


def _pool(client):
    """The connection pool the client's requests to the exchange went through."""
    pools = client.session.get_adapter(client.base_url).poolmanager.pools
    # RecentlyUsedContainer cannot be iterated, only its keys().
    used = [pools[key] for key in pools.keys() if pools[key].num_connections]  # noqa: SIM118
    assert len(used) == 1
    return used[0]


def test_the_catch_up_keeps_the_shared_clients_warm_connections(exchange):
    client = client_from_settings()
    client.account()  # the order path's connection, now warm
    before = _pool(client)

    done = reconcile_after_connect()

    assert done["account"] is True and done["positions"] >= 1
    assert client_from_settings() is client
    # The same pool, still holding its connections: nothing closed the shared session.
    assert _pool(client) is before
    client.account()
    assert _pool(client) is before


def test_the_catch_up_stores_positions_and_the_account_from_the_clients_reads(exchange):
    exchange.control.set_price("ETHUSDT", "3400", mark="3400")
    reconcile_after_connect()
    assert AccountSnapshot.objects.filter(environment="sim").exists()
    row = PositionSnapshot.objects.filter(environment="sim", symbol="ETHUSDT").first()
    # A REST read: the gate's starting point (requested_at) is recorded.
    assert row is not None and row.rest_requested_at is not None
