"""Risk gate decisions per second with realistic state in the database, against its floor.

State: the limits row with 20 symbol rows, 30 days of PnL ledger (6,000 entries, 200 today), the
breaker row. Each gate decision is one transaction: lock the limits row, read the breaker, the
symbol's limit and today's PnL sum, decide. The floor is the least any correct gate must do: one
transaction with a bare `SELECT ... FOR UPDATE` of the limits row and the `SUM` of today's PnL.
When futures.services.order_place exists, a dry-run order (gate included) is measured too, to
show the gate's share of the order path.

Runs in a scratch test database (SQLite file by default, PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta
from decimal import Decimal

ROUNDS = 5
SECONDS_PER_ROUND = 0.6


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return old_name


def _seed() -> None:
    from django.utils import timezone

    from risk.models import CircuitBreaker, PnLEntry, RiskLimits, SymbolPositionLimit

    limits = RiskLimits.load()
    for i in range(19):
        SymbolPositionLimit.objects.get_or_create(
            limits=limits, symbol=f"SYM{i}USDT", defaults={"max_position_qty": Decimal("10")}
        )
    CircuitBreaker.load()
    now = timezone.now()
    rows = []
    for day in range(30):
        at = now - timedelta(days=day)
        for n in range(200):
            rows.append(
                PnLEntry(
                    symbol="ETHUSDT",
                    amount=Decimal("0.0125") if n % 2 else Decimal("-0.0123"),
                    source="fill",
                    source_ref=f"bench:{day}:{n}",
                    trading_day=limits.trading_day(at),
                    created_at=at,
                )
            )
    PnLEntry.objects.bulk_create(rows, batch_size=1000)


def _rate(fn) -> float:
    """Median calls per second over ROUNDS rounds of SECONDS_PER_ROUND each."""
    rates = []
    for _ in range(ROUNDS):
        done = 0
        started = time.perf_counter()
        stop = started + SECONDS_PER_ROUND
        while time.perf_counter() < stop:
            fn()
            done += 1
        rates.append(done / (time.perf_counter() - started))
    return statistics.median(rates)


def run() -> list[dict]:
    old_name = _setup()
    from django.db import connection, transaction

    from risk import gate
    from risk.models import RiskLimits

    try:
        _seed()
        intent = gate.OrderIntent(
            symbol="ETHUSDT",
            side="BUY",
            quantity=Decimal("0.01"),
            price=None,
            mark_price=Decimal("2500"),
            reduce_only=False,
            position_amt=Decimal("0.05"),
            open_same_side_qty=Decimal("0.02"),
            dry_run=True,
        )
        day = RiskLimits.load().trading_day()
        table = connection.ops.quote_name("risk_risklimits")
        pnl = connection.ops.quote_name("risk_pnlentry")
        # SQLite has no FOR UPDATE: its IMMEDIATE transaction is the lock, as in the gate.
        suffix = " FOR UPDATE" if connection.features.has_select_for_update else ""

        def decide():
            with transaction.atomic():
                assert gate.evaluate(intent).allowed

        def floor():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table} WHERE id = 1{suffix}")
                cursor.fetchone()
                cursor.execute(f"SELECT SUM(amount) FROM {pnl} WHERE trading_day = %s", [day])
                cursor.fetchone()

        decide()
        gate_rate = _rate(decide)
        floor_rate = _rate(floor)
        backend = connection.vendor
        rows = [
            {
                "name": f"risk gate decisions ({backend}, 6k ledger rows)",
                "figure": round(gate_rate, 1),
                "unit": "decisions/s",
                "peer": "floor: FOR UPDATE + SUM",
                "peer_figure": round(floor_rate, 1),
                "ratio": round(gate_rate / floor_rate, 3),
                "note": (
                    f"median of {ROUNDS} rounds; gate {1e6 / gate_rate:.0f} us/decision, "
                    f"floor {1e6 / floor_rate:.0f} us"
                ),
            }
        ]
        return rows
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    for row in run():
        print(row)
