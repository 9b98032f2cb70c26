"""The income sync fills the ledger's gaps from GET /fapi/v1/income, once, and only operators
may ask for it.

No stream runs here: the fills, the funding fee and the transfer below happen on the stand-in
while Spark is not listening (a disconnect), so the sync alone must find them, orders Spark
never placed included, and book each exactly once.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.income import income_sync
from futures.models import Fill, Order
from risk.models import PnLEntry

pytestmark = pytest.mark.django_db

KIND = {
    "REALIZED_PNL": "realized",
    "COMMISSION": "commission",
    "FUNDING_FEE": "funding",
    "TRANSFER": "transfer",
}


def _trade(exchange, side: str, qty: str, **extra) -> dict:
    r = exchange.control.signed(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side=side, type="MARKET", quantity=qty, **extra
    )
    assert r.status_code == 200, r.text
    return r.json()


def _exchange_income(exchange) -> Counter:
    rows = exchange.control.signed("GET", "/fapi/v1/income", limit=1000).json()
    return Counter((KIND[r["incomeType"]], Decimal(r["income"])) for r in rows)


def _ledger() -> Counter:
    return Counter((e.kind, e.amount) for e in PnLEntry.objects.all())


@pytest.fixture
def missed_day(exchange):
    """A transfer, two fills and a funding settlement that no stream delivered to Spark."""
    exchange.control.balances(futures={"USDT": "5000"})  # a 5000 - start TRANSFER row
    _trade(exchange, "BUY", "0.020")
    exchange.control.set_price("ETHUSDT", "3350", mark="3350")
    _trade(exchange, "SELL", "0.010", reduceOnly="true")
    exchange.control.funding("ETHUSDT", "0.001")
    exchange.control.settle_funding("ETHUSDT")
    return exchange


def test_it_books_every_missed_income_row_once_and_records_the_missed_fills(missed_day):
    done = income_sync()

    assert _ledger() == _exchange_income(missed_day)
    kinds = Counter(e.kind for e in PnLEntry.objects.all())
    assert kinds == {"commission": 2, "realized": 1, "funding": 1, "transfer": 1}
    # The orders were placed outside Spark: the sync adopted them with their fills.
    assert Fill.objects.count() == 2
    assert Order.objects.filter(source__startswith="external:").count() == 2
    assert done.fills == 2 and done.rows == 5
    # Every reference names the environment.
    assert all(e.source_ref.startswith("sim:") for e in PnLEntry.objects.all())

    again = income_sync()
    assert again.booked == 0 and again.fills == 0
    assert _ledger() == _exchange_income(missed_day)


def test_the_funding_fee_is_booked_with_its_asset_and_income_type(missed_day):
    income_sync()
    fee = PnLEntry.objects.get(kind="funding")
    assert fee.symbol == "ETHUSDT" and fee.income_type == "FUNDING_FEE"
    assert fee.asset == "USDT" and fee.asset_amount == fee.amount < 0
    assert fee.source == "income"


def test_a_transfer_moves_the_ledger_but_never_the_daily_loss(missed_day, api):
    income_sync()
    transfer = PnLEntry.objects.get(kind="transfer")
    assert transfer.amount != 0
    today = api.get("/futures/risk/status").json()["today"]
    parts = sum(Decimal(today[k]) for k in ("realizedPnl", "commission", "funding"))
    assert Decimal(today["pnl"]) == parts  # the transfer is in none of them


def test_an_operator_syncs_on_demand_and_it_is_audited(missed_day, api, olga, token_for):
    r = api.post("/futures/ledger/sync", {}, token=token_for(olga))
    assert r.status_code == 200, r.text
    body = r.json()
    # booked: entries from income rows; fills: missed fills recorded (each with its entries).
    assert body["environment"] == "sim" and body["booked"] == 2 and body["fills"] == 2
    entry = AuditEntry.objects.filter(action="ledger.sync").latest("id")
    assert entry.outcome == "ok" and entry.actor_name == "olga"


def test_a_trader_may_not_sync_the_ledger(missed_day, api, alice, token_for):
    r = api.post("/futures/ledger/sync", {}, token=token_for(alice))
    assert r.status_code == 403
    assert PnLEntry.objects.count() == 0
    assert AuditEntry.objects.filter(action="ledger.sync", outcome="denied").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"startTime": "2026-01-02T00:00:00"}, "startTime"),  # no zone
        ({"startTime": "2026-01-02T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}, "startTime"),
        ({"startTime": "2020-01-01T00:00:00Z"}, "startTime"),  # beyond 90 days
        ({"endTime": "2999-01-01T00:00:00Z"}, "endTime"),
        ({"startTime": 5}, "startTime"),
    ],
)
def test_a_bad_window_is_422_naming_the_field_and_books_nothing(
    missed_day, api, olga, token_for, body, field
):
    r = api.post("/futures/ledger/sync", body, token=token_for(olga))
    assert r.status_code == 422, r.text
    assert field in r.text
    assert PnLEntry.objects.count() == 0


def test_a_user_stream_reconnect_fills_the_ledger_gap(missed_day):
    from futures.events import reconcile_after_connect

    done = reconcile_after_connect()

    assert done["income"]["rows"] == 5
    assert _ledger() == _exchange_income(missed_day)


def test_small_pages_by_time_miss_and_repeat_nothing(missed_day, monkeypatch):
    """Pages of two rows: a fill's REALIZED_PNL and COMMISSION share one millisecond and may
    straddle a page; the next page starts at that millisecond, and seen rows are skipped."""
    from futures import income

    monkeypatch.setattr(income, "PAGE", 2)
    done = income_sync()
    assert done.rows == 5
    assert _ledger() == _exchange_income(missed_day)
