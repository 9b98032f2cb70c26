"""order_sync_from_exchange and position_sync: the entry points of streams and reconciliation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.models import Fill, IllegalTransition, Order, PositionSnapshot
from futures.sync import order_sync_from_exchange, position_sync, wallet_sync
from tests.support.exchange_events import order_update
from tests.support.live import LiveTopic

pytestmark = pytest.mark.django_db


def _event(status="NEW", x="NEW", **extra):
    return order_update(X=status, x=x, **extra)


def test_it_creates_an_unknown_order_from_a_stream_event():
    order = order_sync_from_exchange(_event(), source="stream")
    assert order is not None
    order.refresh_from_db()
    assert order.status == Order.Status.NEW
    assert order.exchange_order_id == 7001
    assert order.quantity == Decimal("0.010")
    assert order.dry_run is False


def test_a_replayed_fill_changes_nothing():
    order_sync_from_exchange(_event(), source="stream")
    trade = _event(
        "FILLED", "TRADE", t=99, l="0.010", z="0.010", L="60000", ap="60000", n="0.24", N="USDT"
    )
    order_sync_from_exchange(trade, source="stream")
    order_sync_from_exchange(trade, source="stream")
    order = Order.objects.get(client_order_id="spark-abc")
    assert order.status == Order.Status.FILLED
    assert order.filled_qty == Decimal("0.010")
    assert Fill.objects.filter(order=order).count() == 1
    assert Fill.objects.get(order=order).commission == Decimal("0.24")


def test_a_filled_order_never_becomes_new_again():
    order_sync_from_exchange(
        _event("FILLED", "TRADE", t=5, l="0.010", z="0.010", L="60000"), source="stream"
    )
    order_sync_from_exchange(_event(), source="stream")  # late NEW event
    order = Order.objects.get(client_order_id="spark-abc")
    assert order.status == Order.Status.FILLED
    assert order.filled_qty == Decimal("0.010")
    with pytest.raises(IllegalTransition):
        order.apply_status(Order.Status.NEW, strict=True)


def test_it_accepts_a_rest_order_object():
    order = order_sync_from_exchange(
        {
            "orderId": 12,
            "symbol": "ETHUSDT",
            "status": "PARTIALLY_FILLED",
            "clientOrderId": "rest-1",
            "price": "3000",
            "avgPrice": "3000.00000",
            "origQty": "1.000",
            "executedQty": "0.400",
            "timeInForce": "GTC",
            "type": "LIMIT",
            "reduceOnly": False,
            "side": "SELL",
            "stopPrice": "0",
        },
        source="rest",
    )
    order.refresh_from_db()
    assert order.status == "PARTIALLY_FILLED"
    assert (order.filled_qty, order.side) == (Decimal("0.4"), "SELL")


@pytest.mark.backends
@pytest.mark.usefixtures("fresh_channel_layer")
def test_it_sends_the_order_to_live_pages_after_commit(django_capture_on_commit_callbacks):
    before, after = LiveTopic("orders"), LiveTopic("orders")
    with django_capture_on_commit_callbacks() as on_commit:
        order_sync_from_exchange(_event(), source="stream")
    assert before.payloads() == []  # nothing while the transaction is open
    for callback in on_commit:  # the commit
        callback()
    sent = after.payloads()
    assert [(p["order"]["client_order_id"], p["order"]["status"]) for p in sent] == [
        ("spark-abc", "NEW")
    ]


@pytest.mark.usefixtures("fresh_channel_layer")
def test_position_sync_keeps_one_row_per_symbol(django_capture_on_commit_callbacks):
    live = LiveTopic("positions")
    with django_capture_on_commit_callbacks(execute=True):
        event = {"s": "BTCUSDT", "pa": "0.010", "ep": "60000", "up": "1.5", "mt": "cross"}
        position_sync([event], source="stream")
        rest = {
            "symbol": "BTCUSDT",
            "positionAmt": "-0.020",
            "entryPrice": "61000",
            "markPrice": "60500",
            "unRealizedProfit": "10",
            "liquidationPrice": "0",
            "positionSide": "BOTH",
        }
        position_sync([rest], source="rest")
    row = PositionSnapshot.objects.get(symbol="BTCUSDT")
    assert row.position_amt == Decimal("-0.020")
    assert row.margin_type == "cross"
    assert PositionSnapshot.objects.count() == 1
    sent = live.payloads()
    assert [[(p["symbol"], p["position_amt"]) for p in e["positions"]] for e in sent] == [
        [("BTCUSDT", "0.010")],
        [("BTCUSDT", "-0.020")],
    ]


@pytest.mark.usefixtures("fresh_channel_layer")
def test_a_wallet_update_reaches_the_account_topic_once_committed(
    django_capture_on_commit_callbacks,
):
    before, after = LiveTopic("account"), LiveTopic("account")
    with django_capture_on_commit_callbacks() as on_commit:
        wallet_sync({"a": "USDT", "wb": "1234.50", "cw": "1234.50"})
    assert before.payloads() == []  # nothing while the transaction is open
    for callback in on_commit:
        callback()
    sent = after.payloads()
    assert [(p["environment"], p["wallet_balance"]) for p in sent] == [("sim", "1234.50")]


def test_a_hedge_order_event_keeps_its_position_side():
    order = order_sync_from_exchange(_event(ps="SHORT"), source="stream")
    order.refresh_from_db()
    assert order.position_side == "SHORT"
    # a later event of the same order keeps it; a one-way order stays BOTH
    order_sync_from_exchange(_event(status="CANCELED", x="CANCELED", ps="SHORT"), source="ws")
    order.refresh_from_db()
    assert (order.position_side, order.status) == ("SHORT", Order.Status.CANCELED)
    other = order_sync_from_exchange(_event(c="one-way-1", i=7002), source="stream")
    assert other.position_side == "BOTH"


def test_hedge_sides_from_the_stream_are_rows_of_their_own():
    from futures.binance.reports import event_position

    events = [
        {"s": "ETHUSDT", "pa": "0.030", "ep": "3400", "up": "0", "ps": "LONG"},
        {"s": "ETHUSDT", "pa": "-0.010", "ep": "3390", "up": "0", "ps": "SHORT"},
    ]
    position_sync([event_position(e) for e in events], source="ws")
    position_sync(
        [event_position({"s": "ETHUSDT", "pa": "0.020", "ep": "3400", "up": "0", "ps": "LONG"})],
        source="ws",
    )
    rows = {
        r.position_side: r.position_amt for r in PositionSnapshot.objects.filter(symbol="ETHUSDT")
    }
    assert rows == {"LONG": Decimal("0.020"), "SHORT": Decimal("-0.010")}


def test_the_live_positions_snapshot_has_a_row_per_side_with_its_position_side():
    from futures.binance.reports import event_position
    from futures.live_snapshot import snapshot

    events = [
        {"s": "ETHUSDT", "pa": "0.030", "ep": "3400", "up": "0", "ps": "LONG"},
        {"s": "ETHUSDT", "pa": "-0.010", "ep": "3390", "up": "0", "ps": "SHORT"},
        {"s": "BTCUSDT", "pa": "0", "ep": "0", "up": "0", "ps": "LONG"},
    ]
    position_sync([event_position(e) for e in events], source="ws")
    rows = snapshot("positions")["positions"]
    assert [(r["symbol"], r["positionSide"], Decimal(r["position_amt"])) for r in rows] == [
        ("ETHUSDT", "LONG", Decimal("0.03")),
        ("ETHUSDT", "SHORT", Decimal("-0.01")),
    ]
