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
        rows.extend(_order_path(gate_rate))
        return rows
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _order_path(gate_rate: float) -> list[dict]:
    """Dry-run order_place (filters, gate, Order + simulated Fill rows) on a running stand-in."""
    import itertools

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from accounts.roles import TRADER, assign_role
    from futures.services import OrderRequest, order_place
    from simexchange.testing import SimProcess

    user = get_user_model().objects.create_user("bench-trader", password="x" * 16)
    assign_role(user, TRADER)
    counter = itertools.count()
    saved = {
        k: getattr(settings, k)
        for k in ("BINANCE_FUTURES_BASE_URL", "BINANCE_API_KEY", "BINANCE_API_SECRET")
    }
    with SimProcess(env={"SIM_SEED": "1"}) as proc:
        settings.BINANCE_FUTURES_BASE_URL = proc.base_url
        settings.BINANCE_API_KEY, settings.BINANCE_API_SECRET = proc.api_key, proc.api_secret
        try:

            def place():
                order_place(
                    user=user,
                    request=OrderRequest(
                        symbol="ETHUSDT",
                        side="BUY",
                        type="MARKET",
                        quantity=Decimal("0.01"),
                        dry_run=True,
                        client_order_id=f"bench-{next(counter)}",
                    ),
                )

            place()
            order_rate = _rate(place)
        finally:
            for key, value in saved.items():
                setattr(settings, key, value)
    share = (1 / gate_rate) / (1 / order_rate) * 100
    return [
        {
            "name": "dry-run order_place on the stand-in (gate included)",
            "figure": round(order_rate, 1),
            "unit": "orders/s",
            "peer": "gate decisions alone",
            "peer_figure": round(gate_rate, 1),
            "ratio": round(order_rate / gate_rate, 3),
            "note": f"the gate is ~{share:.0f}% of a dry-run order's time (mark price cached 2 s)",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
