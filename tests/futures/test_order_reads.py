"""The order path's raw reads give what the ORM gives: exposure, freshness, idempotency."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F, Q, Sum
from django.utils import timezone

from futures import selectors
from futures.models import OPEN_STATUSES, Order, OrderStatus, PositionSnapshot

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

_ids = iter(range(10**6))


def _order(**kw) -> Order:
    base = {
        "client_order_id": f"reads-{next(_ids)}",
        "environment": "sim",
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": Decimal("0.013"),
        "price": Decimal("3300"),
        "dry_run": False,
        "status": OrderStatus.NEW,
    }
    base.update(kw)
    return Order.objects.create(**base)


def _orm_exposure(
    env: str, symbol: str, side: str, position_side: str = "BOTH"
) -> tuple[Decimal, Decimal]:
    """The same read through the ORM: the REST position of the side plus fills it may miss
    (reduce-only ones included), open leaves of orders that are not reduce-only."""
    row = PositionSnapshot.objects.filter(
        environment=env, symbol=symbol, position_side=position_side
    ).first()
    orders = Order.objects.filter(
        environment=env, symbol=symbol, side=side, dry_run=False, position_side=position_side
    )
    leaves = (
        orders.filter(status__in=OPEN_STATUSES, reduce_only=False)
        .annotate(leaves=F("quantity") - F("filled_qty"))
        .aggregate(total=Sum("leaves"))["total"]
    )
    fills = orders.filter(filled_qty__gt=0)
    if row is not None and row.rest_requested_at is not None:
        fills = fills.filter(
            Q(filled_seen_at__isnull=True) | Q(filled_seen_at__gte=row.rest_requested_at)
        )
    unseen = fills.aggregate(total=Sum("filled_qty"))["total"] or Decimal(0)
    position = Decimal(0)
    if row is not None:
        position = row.rest_position_amt if row.rest_position_amt is not None else row.position_amt
    sign = 1 if side == "BUY" else -1
    return (position + sign * unseen, leaves or Decimal(0))


def test_exposure_is_zero_without_a_position_or_open_orders():
    seen = selectors.exposure("sim", "ETHUSDT", "BUY")
    assert (seen.position, seen.open_qty, seen.estimate) == (0, 0, 0)


def test_exposure_counts_the_unfilled_part_of_every_open_status_of_one_side():
    read_at = timezone.now()
    before = read_at - timedelta(seconds=1)
    PositionSnapshot.objects.create(
        environment="sim",
        symbol="ETHUSDT",
        position_amt=Decimal("-0.5"),  # the stream's newer figure: not what the gate reads
        rest_position_amt=Decimal("-0.123"),
        rest_requested_at=read_at,
        source="rest",
    )
    expected = Decimal(0)
    for i, status in enumerate(sorted(OPEN_STATUSES)):
        filled = Decimal("0.001") * i
        _order(
            status=status, quantity=Decimal("0.017") + i, filled_qty=filled, filled_seen_at=before
        )
        expected += Decimal("0.017") + i - filled
    # None of these count: final (its fill is in the REST read), dry-run, reduce-only, other
    # side, symbol or environment.
    _order(status=OrderStatus.FILLED, filled_qty=Decimal("0.013"), filled_seen_at=before)
    _order(status=OrderStatus.CANCELED)
    _order(dry_run=True)
    _order(reduce_only=True)
    _order(side="SELL")
    _order(symbol="BTCUSDT")
    _order(environment="testnet")

    seen = selectors.exposure("sim", "ETHUSDT", "BUY")

    assert seen.position == Decimal("-0.123") and seen.open_qty == expected
    assert (seen.position, seen.open_qty) == _orm_exposure("sim", "ETHUSDT", "BUY")
    sell = selectors.exposure("sim", "ETHUSDT", "SELL")
    assert (sell.position, sell.open_qty) == (seen.position, Decimal("0.013"))


def test_exposure_adds_every_fill_seen_since_the_position_read_was_requested():
    """Finding 1 of issue 20: a filled order has left the open orders, and the REST read may
    not have it yet; the gate must count it (once seen at or after the request was sent)."""
    read_at = timezone.now()
    PositionSnapshot.objects.create(
        environment="sim",
        symbol="ETHUSDT",
        rest_position_amt=Decimal("0.1"),
        rest_requested_at=read_at,
        source="rest",
    )
    _order(status=OrderStatus.FILLED, filled_qty=Decimal("0.013"), filled_seen_at=read_at)
    _order(
        status=OrderStatus.FILLED,
        filled_qty=Decimal("0.013"),
        filled_seen_at=read_at + timedelta(milliseconds=5),
    )
    _order(  # seen before the request: the read has it
        status=OrderStatus.FILLED,
        filled_qty=Decimal("0.013"),
        filled_seen_at=read_at - timedelta(milliseconds=5),
    )
    _order(status=OrderStatus.PARTIALLY_FILLED, filled_qty=Decimal("0.003"), filled_seen_at=read_at)
    _order(
        status=OrderStatus.FILLED, side="SELL", filled_qty=Decimal("0.02"), filled_seen_at=read_at
    )

    seen = selectors.exposure("sim", "ETHUSDT", "BUY")

    assert seen.position == Decimal("0.1") + Decimal("0.013") * 2 + Decimal("0.003")
    assert seen.open_qty == Decimal("0.010")
    assert (seen.position, seen.open_qty) == _orm_exposure("sim", "ETHUSDT", "BUY")
    # The SELL side counts its own fill on top of the read, never the BUY fills.
    sell = selectors.exposure("sim", "ETHUSDT", "SELL")
    assert (sell.position, sell.open_qty) == (Decimal("0.08"), Decimal(0))
    # The likeliest position counts both sides (for reduce-only orders only).
    assert sell.estimate == seen.estimate == Decimal("0.1") + Decimal("0.029") - Decimal("0.02")


def test_an_older_rest_answer_never_replaces_a_newer_position_read():
    from futures.sync import position_sync

    newer = timezone.now()
    position_sync(
        [{"symbol": "ETHUSDT", "positionAmt": "0.2"}], source="rest:order", requested_at=newer
    )
    position_sync(  # requested earlier, answered later: it is older than what is stored
        [{"symbol": "ETHUSDT", "positionAmt": "0.1"}],
        source="rest:order",
        requested_at=newer - timedelta(milliseconds=20),
    )
    row = PositionSnapshot.objects.get(symbol="ETHUSDT")
    assert row.rest_position_amt == Decimal("0.2") and row.rest_requested_at == newer
    position_sync([{"symbol": "ETHUSDT", "pa": "0.3"}], source="ws")  # the stream: pages only
    row.refresh_from_db()
    assert row.position_amt == Decimal("0.3") and row.rest_position_amt == Decimal("0.2")


def test_hedge_exposure_reads_one_side_its_row_and_its_orders_only():
    read_at = timezone.now()
    before = read_at - timedelta(seconds=1)
    for side, amount in (("LONG", "0.3"), ("SHORT", "-0.2"), ("BOTH", "0.9")):
        PositionSnapshot.objects.create(
            environment="sim",
            symbol="ETHUSDT",
            position_side=side,
            rest_position_amt=Decimal(amount),
            rest_requested_at=read_at,
            source="rest",
        )
    _order(position_side="LONG", quantity=Decimal("0.05"))  # opening LONG, resting
    _order(  # opening LONG, filled after the read
        position_side="LONG",
        status=OrderStatus.FILLED,
        filled_qty=Decimal("0.013"),
        filled_seen_at=read_at,
    )
    _order(  # closing LONG (a SELL on LONG), filled after the read
        position_side="LONG",
        side="SELL",
        status=OrderStatus.FILLED,
        filled_qty=Decimal("0.01"),
        filled_seen_at=read_at,
    )
    _order(position_side="SHORT", side="SELL", quantity=Decimal("0.07"))  # opening SHORT
    _order(  # opening SHORT, filled after the read
        position_side="SHORT",
        side="SELL",
        status=OrderStatus.FILLED,
        filled_qty=Decimal("0.02"),
        filled_seen_at=read_at,
    )
    _order(quantity=Decimal("0.5"))  # a BOTH order (before the switch): no side's
    _order(position_side="LONG", filled_qty=Decimal("0.004"), filled_seen_at=before)

    long = selectors.exposure("sim", "ETHUSDT", "BUY", "LONG")
    short = selectors.exposure("sim", "ETHUSDT", "SELL", "SHORT")

    assert long.position == Decimal("0.3") + Decimal("0.013")
    assert long.open_qty == Decimal("0.05") + Decimal("0.013") - Decimal("0.004")
    assert long.estimate == Decimal("0.3") + Decimal("0.013") - Decimal("0.01")
    assert (long.position, long.open_qty) == _orm_exposure("sim", "ETHUSDT", "BUY", "LONG")
    assert short.position == Decimal("-0.2") - Decimal("0.02")
    assert short.open_qty == Decimal("0.07")
    assert (short.position, short.open_qty) == _orm_exposure("sim", "ETHUSDT", "SELL", "SHORT")
    both = selectors.exposure("sim", "ETHUSDT", "BUY")
    assert (both.position, both.open_qty) == _orm_exposure("sim", "ETHUSDT", "BUY")
    assert both.position == Decimal("0.9") and both.open_qty == Decimal("0.5")


def test_a_side_is_fresh_on_its_own_row():
    now = timezone.now()
    PositionSnapshot.objects.create(
        environment="sim",
        symbol="ETHUSDT",
        position_side="LONG",
        rest_position_amt=Decimal("0.1"),
        rest_requested_at=now,
        source="rest",
    )
    assert selectors.position_is_fresh("sim", "ETHUSDT", 5, "LONG")
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5, "SHORT")
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)
    assert selectors.position_was_read("sim", "ETHUSDT", "LONG")
    assert not selectors.position_was_read("sim", "ETHUSDT", "SHORT")


def test_a_rest_read_stores_each_side_and_zeroes_the_other_modes_rows():
    from futures.sync import position_sync

    first = timezone.now()
    position_sync(
        [{"symbol": "ETHUSDT", "positionSide": "BOTH", "positionAmt": "0.2"}],
        source="rest:order",
        requested_at=first,
        symbols=("ETHUSDT",),
    )
    # the account was flattened and switched to hedge mode; the next read has the two sides
    position_sync(
        [
            {"symbol": "ETHUSDT", "positionSide": "LONG", "positionAmt": "0.03"},
            {"symbol": "ETHUSDT", "positionSide": "SHORT", "positionAmt": "-0.01"},
        ],
        source="rest:order",
        requested_at=first + timedelta(milliseconds=10),
        symbols=("ETHUSDT",),
    )
    rows = {
        r.position_side: (r.position_amt, r.rest_position_amt)
        for r in PositionSnapshot.objects.filter(symbol="ETHUSDT")
    }
    assert rows == {
        "BOTH": (Decimal(0), Decimal(0)),
        "LONG": (Decimal("0.03"), Decimal("0.03")),
        "SHORT": (Decimal("-0.01"), Decimal("-0.01")),
    }
    assert selectors.exposure("sim", "ETHUSDT", "BUY").position == 0


def test_exposure_reads_many_small_quantities_exactly():
    for _ in range(30):
        _order(quantity=Decimal("0.1"), filled_qty=Decimal("0.03"))
    open_qty = selectors.exposure("sim", "ETHUSDT", "BUY").open_qty
    assert open_qty == Decimal("2.1")
    assert open_qty == _orm_exposure("sim", "ETHUSDT", "BUY")[1]


def test_a_position_is_fresh_only_when_recent_and_not_marked_stale():
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)
    PositionSnapshot.objects.create(environment="sim", symbol="ETHUSDT", source="ws")
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)  # no REST read to count from
    PositionSnapshot.objects.filter(symbol="ETHUSDT").update(rest_requested_at=timezone.now())
    assert selectors.position_is_fresh("sim", "ETHUSDT", 5)
    assert not selectors.position_is_fresh("testnet", "ETHUSDT", 5)
    PositionSnapshot.objects.filter(symbol="ETHUSDT").update(
        updated_at=timezone.now() - timedelta(seconds=6)
    )
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)
    assert selectors.position_is_fresh("sim", "ETHUSDT", 7)
    PositionSnapshot.objects.filter(symbol="ETHUSDT").update(updated_at=timezone.now())
    selectors.mark_position_stale("sim", "ETHUSDT")
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)


def test_order_pk_finds_an_order_by_its_client_id_only():
    order = _order(client_order_id="reads-exact")
    assert selectors.order_pk("reads-exact") == order.pk
    assert selectors.order_pk("reads-exac") is None
    assert selectors.order_pk("READS-EXACT") is None


def test_a_live_order_answer_names_its_owner_and_a_repeat_returns_it(
    api, alice, token_for, exchange
):
    body = {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "IOC",
        "quantity": "0.01",
        "price": "3300",
        "dryRun": False,
        "clientOrderId": "reads-live-1",
    }
    first = api.post("/futures/order.place", body, token=token_for(alice)).json()
    assert first["executed"] == "exchange" and first["created"] is True
    assert first["order"]["user"] == "alice" and first["order"]["status"] == "EXPIRED"
    again = api.post("/futures/order.place", body, token=token_for(alice)).json()
    assert again["executed"] == "existing" and again["created"] is False
    assert again["order"] == first["order"]


def test_a_refused_order_reads_back_with_its_stored_error(api, alice, token_for, exchange):
    """A REJECTED order's error is an object ({code, message, ...}); every read shows it whole."""
    token = token_for(alice)
    r = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.01",
            "reduceOnly": True,  # no position to reduce: the exchange refuses (-2022)
            "dryRun": False,
            "clientOrderId": "refused-read",
        },
        token=token,
    )
    assert r.status_code in (200, 409, 422), r.content
    got = api.get("/futures/order?clientOrderId=refused-read", token=token)
    assert got.status_code == 200, got.content
    order = got.json()["order"] if "order" in got.json() else got.json()
    assert order["status"] == "REJECTED"
    assert order["error"]["code"] == "EXCHANGE_REJECTED"
