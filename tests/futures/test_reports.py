"""futures/binance/reports.py: a REST answer and a stream event about the same order are the same
report; what is not a number is no number, never an error or a zero that moves an order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.binance.reports import (
    AlgoReport,
    OrderReport,
    PositionReport,
    TradeReport,
    event_position,
)

REST = {
    "clientOrderId": "spark-r-1",
    "orderId": 42,
    "symbol": "ETHUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "origType": "LIMIT",
    "timeInForce": "GTC",
    "origQty": "0.010",
    "price": "3400.00",
    "stopPrice": "0",
    "reduceOnly": False,
    "status": "PARTIALLY_FILLED",
    "executedQty": "0.004",
    "avgPrice": "3399.50",
}
EVENT = {
    "c": "spark-r-1",
    "i": 42,
    "s": "ETHUSDT",
    "S": "BUY",
    "o": "LIMIT",
    "ot": "LIMIT",
    "f": "GTC",
    "q": "0.010",
    "p": "3400.00",
    "sp": "0",
    "R": False,
    "X": "PARTIALLY_FILLED",
    "x": "TRADE",
    "z": "0.004",
    "ap": "3399.50",
    "t": 7,
    "L": "3399.50",
    "l": "0.004",
    "n": "0.0068",
    "N": "USDT",
    "rp": "0",
    "m": True,
    "T": 1_700_000_000_000,
}


def test_a_rest_answer_and_a_stream_event_give_the_same_order_fields():
    rest, event = OrderReport.parse(REST), OrderReport.parse(EVENT)
    assert rest.from_rest_answer and not event.from_rest_answer
    for name in (
        "client_order_id",
        "exchange_order_id",
        "symbol",
        "side",
        "type",
        "time_in_force",
        "quantity",
        "price",
        "stop_price",
        "reduce_only",
        "status",
        "filled_qty",
        "avg_price",
    ):
        assert getattr(rest, name) == getattr(event, name), name
    assert rest.trade is None
    assert event.trade == TradeReport(
        trade_id=7,
        price=Decimal("3399.50"),
        qty=Decimal("0.004"),
        commission=Decimal("0.0068"),
        commission_asset="USDT",
        realized_pnl=Decimal("0"),
        is_maker=True,
        traded_at=event.trade.traded_at,
        order_id=42,
    )
    assert event.trade.traded_at.timestamp() == 1_700_000_000


@pytest.mark.parametrize("t", [None, 0, "0"])
def test_an_event_without_a_trade_id_records_no_fill(t):
    assert OrderReport.parse({**EVENT, "t": t}).trade is None
    assert OrderReport.parse({**EVENT, "x": "NEW"}).trade is None


@pytest.mark.parametrize("bad", ["", None, "abc", "NaN?", [], {}])
def test_a_field_that_is_not_a_number_is_none_never_zero_or_an_error(bad):
    report = OrderReport.parse({**REST, "executedQty": bad, "avgPrice": bad})
    assert report.filled_qty is None and report.avg_price is None


def test_the_string_true_is_true_and_anything_else_is_false():
    assert OrderReport.parse({**REST, "reduceOnly": "true"}).reduce_only is True
    assert OrderReport.parse({**REST, "reduceOnly": "yes"}).reduce_only is False
    assert OrderReport.parse({**EVENT, "R": "false"}).reduce_only is False


def test_an_unknown_time_in_force_is_left_out():
    assert OrderReport.parse({**REST, "timeInForce": "GTD"}).known_time_in_force == ""
    assert OrderReport.parse(REST).known_time_in_force == "GTC"


def test_a_rest_trade_row():
    row = {
        "id": "9",
        "orderId": 42,
        "price": "3400",
        "qty": "0.001",
        "commission": "0.001",
        "commissionAsset": "BNB",
        "realizedPnl": "-1.5",
        "maker": "false",
        "time": "garbage",
    }
    trade = TradeReport.from_rest(row)
    assert (trade.trade_id, trade.order_id, trade.realized_pnl) == (9, 42, Decimal("-1.5"))
    assert trade.is_maker is False and trade.traded_at is not None  # a bad time is "now"


def test_an_algo_report_reads_both_spellings_and_no_id_is_none():
    rest = AlgoReport.parse({"clientAlgoId": "a-1", "algoId": "55", "algoStatus": "FINISHED"})
    event = AlgoReport.parse({"caid": "a-1", "aid": 55, "X": "FINISHED", "aq": "0.01"})
    assert (rest.client_algo_id, rest.algo_id, rest.status) == ("a-1", 55, "FINISHED")
    assert event.actual_qty == Decimal("0.01") and rest.actual_qty is None
    assert AlgoReport.parse({}).client_algo_id == "" and AlgoReport.parse({}).algo_id is None


def test_a_position_event_entry_reads_as_its_rest_row():
    entry = {"s": "ETHUSDT", "pa": "-0.5", "ep": "3400", "up": "-2", "mt": "ISOLATED", "iw": "1"}
    from_event = PositionReport.parse(entry)
    from_rest = PositionReport.parse(event_position(entry))
    assert from_event.symbol == from_rest.symbol == "ETHUSDT"
    assert from_event.position_side == from_rest.position_side == "BOTH"
    assert from_event.margin_type == from_rest.margin_type == "isolated"
    assert from_rest.values == {
        "position_amt": Decimal("-0.5"),
        "entry_price": Decimal("3400"),
        "unrealized_pnl": Decimal("-2"),
    }
    assert from_event.values["isolated_margin"] == Decimal("1")


def test_a_hedge_side_and_a_missing_leverage():
    report = PositionReport.parse({"symbol": "BTCUSDT", "positionSide": "LONG", "leverage": ""})
    assert report.position_side == "LONG" and report.leverage is None and report.values == {}
