"""50 simultaneous gate evaluations never accept more exposure than the limit allows.

Each thread runs what the order service runs: one transaction that takes the gate's lock, reads
the open exposure (here a table of this test's own standing in for open orders), asks the gate,
and records its order when allowed. Without the lock, threads read the same open exposure and
several pass the last room under the limit.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from risk import gate
from risk.models import RiskLimits
from tests.risk.conftest import intent

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

TABLE = "test_risk_accepted_exposure"
THREADS = 50
ORDER_QTY = Decimal("0.01")  # 50 x 0.01 = 0.5 BTC asked for, against a 0.1 limit


@pytest.fixture
def exposure_table():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        # Quantities as text: SQLite's numeric affinity would turn them into floats.
        cursor.execute(f"CREATE TABLE {TABLE} (worker integer, quantity varchar(40))")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def _accepted() -> list[Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT quantity FROM {TABLE}")
        return [Decimal(row[0]) for row in cursor.fetchall()]


def _place(worker: int, start: threading.Barrier, outcomes: list, errors: list) -> None:
    try:
        start.wait(timeout=30)
        with transaction.atomic():
            gate.lock()  # before reading open exposure, like order_place
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT quantity FROM {TABLE}")
                open_qty = sum((Decimal(r[0]) for r in cursor.fetchall()), Decimal(0))
            decision = gate.evaluate(
                intent(
                    symbol="BTCUSDT",
                    quantity=ORDER_QTY,
                    mark_price=Decimal("5000"),  # 50 USD notional: only the position limit binds
                    open_same_side_qty=open_qty,
                )
            )
            if decision.allowed:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {TABLE} (worker, quantity) VALUES (%s, %s)",
                        [worker, str(ORDER_QTY)],
                    )
            outcomes.append(decision.allowed)
    except Exception as exc:  # reported by the test thread
        errors.append(repr(exc))
    finally:
        connections.close_all()


def test_fifty_concurrent_orders_never_exceed_the_position_limit(exposure_table):
    limit = RiskLimits.load().symbol_limits.get(symbol="BTCUSDT").max_position_qty
    assert limit == Decimal("0.1")
    start = threading.Barrier(THREADS)
    outcomes: list[bool] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=_place, args=(i, start, outcomes, errors)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert len(outcomes) == THREADS
    accepted = _accepted()
    assert sum(accepted, Decimal(0)) <= limit
    # Serialized, every order that fits is taken: exactly limit / qty of them.
    assert len(accepted) == outcomes.count(True) == int(limit / ORDER_QTY)


def test_fifty_concurrent_real_orders_never_exceed_the_position_limit(make_user, exchange):
    """The same race through futures.services.order_place: live resting LIMIT orders."""
    from futures.models import Order
    from futures.services import OrderRequest, order_place
    from risk.errors import RiskRejected
    from risk.models import SymbolPositionLimit

    alice = make_user("alice", "trader")
    SymbolPositionLimit.objects.create(
        limits=RiskLimits.load(), symbol="ETHUSDT", max_position_qty=Decimal("0.1")
    )
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    errors: list[str] = []

    def place(i: int) -> None:
        try:
            start.wait(timeout=30)
            order_place(
                user=alice,
                request=OrderRequest(
                    symbol="ETHUSDT",
                    side="BUY",
                    type="LIMIT",
                    quantity=ORDER_QTY,
                    price=Decimal("3300"),  # rests under the 3,400 mark: open exposure
                    time_in_force="GTC",
                    dry_run=False,
                    client_order_id=f"race50-{i}",
                ),
            )
            outcomes.append("placed")
        except RiskRejected:
            outcomes.append("rejected")
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    live = Order.objects.filter(dry_run=False, symbol="ETHUSDT")
    accepted = sum((o.quantity for o in live), Decimal(0))
    assert accepted <= Decimal("0.1")
    assert outcomes.count("placed") == live.count() == 10
    assert outcomes.count("rejected") == THREADS - 10
    on_exchange = exchange.control.signed("GET", "/fapi/v1/openOrders", symbol="ETHUSDT").json()
    assert len(on_exchange) == 10
