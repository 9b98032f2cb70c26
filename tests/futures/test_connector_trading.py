"""The REST connector's trading calls beyond one order, against the running stand-in: modify,
amendments, batches with per-item results, hedge-mode sides, leverage brackets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.binance.errors import ExchangeRejected, NoSuchOrder
from futures.binance.http import BinanceHttp
from futures.binance.rest import BinanceFutures
from spark_site.errors import ValidationFailed
from tests.futures.conftest import PRICES
from tests.support.stand_in import exchange_orders, exchange_position


@pytest.fixture
def client(sim):
    BinanceHttp.clear_backoff(sim.base_url)
    for symbol, price in PRICES.items():
        sim.control.set_price(symbol, price, mark=price)
    c = BinanceFutures(sim.base_url, sim.api_key, sim.api_secret, recv_window=5000, timeout=5)
    c.lookup_delays = (0.01, 0.05)
    yield c
    BinanceHttp.clear_backoff(sim.base_url)


def _rest_bid(client, cid="bid-1", price="60000", qty="0.002"):
    return client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal(qty),
        price=Decimal(price),
        client_order_id=cid,
    )


# ------------------------------------------------------------------------------------- modify


def test_it_modifies_a_resting_order_in_place_and_keeps_its_ids(client, sim):
    placed = _rest_bid(client)
    changed = client.modify_order(
        "BTCUSDT",
        side="BUY",
        quantity=Decimal("0.003"),
        price=Decimal("61000.5"),
        client_order_id="bid-1",
    )
    assert changed["orderId"] == placed["orderId"]
    assert changed["clientOrderId"] == "bid-1"
    assert (Decimal(changed["price"]), Decimal(changed["origQty"])) == (
        Decimal("61000.5"),
        Decimal("0.003"),
    )
    held = client.query_order("BTCUSDT", order_id=placed["orderId"])
    assert (Decimal(held["price"]), held["status"]) == (Decimal("61000.5"), "NEW")
    assert len(exchange_orders(sim, "BTCUSDT")) == 1  # changed, not replaced

    history = client.order_amendments("BTCUSDT", order_id=placed["orderId"])
    assert len(history) == 1
    amendment = history[0]["amendment"]
    assert Decimal(amendment["price"]["before"]) == Decimal("60000")
    assert Decimal(amendment["price"]["after"]) == Decimal("61000.5")


def test_it_modifies_by_price_match_without_a_price(client):
    placed = _rest_bid(client, cid="pm-1")
    changed = client.modify_order(
        "BTCUSDT",
        side="BUY",
        quantity=Decimal("0.002"),
        price_match="QUEUE",
        order_id=placed["orderId"],
    )
    assert changed["orderId"] == placed["orderId"]
    assert Decimal(changed["price"]) != Decimal("60000")  # moved to the best bid


def test_a_modify_of_an_unknown_order_is_no_such_order(client):
    with pytest.raises(NoSuchOrder):
        client.modify_order(
            "BTCUSDT", side="BUY", quantity="0.002", price="60000", client_order_id="nope"
        )


def test_a_modify_that_changes_the_side_is_refused_by_the_exchange(client):
    _rest_bid(client, cid="side-1")
    with pytest.raises(ExchangeRejected) as exc:
        client.modify_order(
            "BTCUSDT", side="SELL", quantity="0.002", price="60000", client_order_id="side-1"
        )
    assert exc.value.binance_code < 0
    assert client.query_order("BTCUSDT", client_order_id="side-1")["side"] == "BUY"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"price": "60000", "price_match": "QUEUE", "client_order_id": "x"},  # both
        {"client_order_id": "x"},  # neither
        {"price_match": "BEST", "client_order_id": "x"},  # not a Binance mode
        {"price": "60000"},  # no reference
    ],
)
def test_a_malformed_modify_is_refused_before_anything_is_sent(client, sim, kwargs):
    sent = sim.control.state()["counters"]["requests"]
    with pytest.raises(ValidationFailed):
        client.modify_order("BTCUSDT", side="BUY", quantity="0.002", **kwargs)
    assert sim.control.state()["counters"]["requests"] == sent


# ------------------------------------------------------------------------------------- batches


def test_a_batch_entry_with_its_tp_and_sl_returns_a_bad_item_as_its_own_error(client, sim):
    entry = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": Decimal("0.002"),
        "price": Decimal("64000"),
        "client_order_id": "br-entry",
    }
    bad = {**entry, "quantity": Decimal("0.0000001"), "client_order_id": "br-bad"}
    take_profit = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "TAKE_PROFIT_MARKET",
        "quantity": Decimal("0.002"),
        "stop_price": Decimal("70000"),
        "reduce_only": True,
        "client_order_id": "br-tp",
    }
    stop_loss = {**take_profit, "type": "STOP_MARKET", "stop_price": Decimal("60000")}
    stop_loss["client_order_id"] = "br-sl"
    results = client.place_batch([entry, bad, take_profit, stop_loss])

    assert len(results) == 4
    assert results[0]["clientOrderId"] == "br-entry" and results[0]["status"] == "NEW"
    assert isinstance(results[1], ExchangeRejected)
    assert results[1].binance_code in (-1111, -4003, -4023)
    assert results[2]["clientAlgoId"] == "br-tp" and results[2]["algoId"]
    assert results[3]["clientAlgoId"] == "br-sl" and results[3]["algoId"]
    assert [o["clientOrderId"] for o in exchange_orders(sim, "BTCUSDT")] == ["br-entry"]
    assert sorted(a["clientAlgoId"] for a in client.open_algo_orders("BTCUSDT")) == [
        "br-sl",
        "br-tp",
    ]


def test_a_lost_batch_answer_is_settled_by_looking_each_item_up(client, sim):
    sim.control.faults(lose_order_responses=1)
    items = [
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": Decimal("0.002"),
            "price": Decimal(p),
            "client_order_id": f"lost-{p}",
        }
        for p in ("60000", "60100")
    ]
    results = client.place_batch(items)
    assert [r["clientOrderId"] for r in results] == ["lost-60000", "lost-60100"]
    assert len(exchange_orders(sim, "BTCUSDT")) == 2  # never sent twice


def test_a_batch_of_six_is_refused_before_anything_is_sent(client, sim):
    one = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.002"}
    sent = sim.control.state()["counters"]["requests"]
    with pytest.raises(ValidationFailed):
        client.place_batch([{**one, "price": "60000"}] * 6)
    with pytest.raises(ValidationFailed):
        client.place_batch([])
    assert sim.control.state()["counters"]["requests"] == sent


def test_modify_batch_and_cancel_batch_answer_per_item(client, sim):
    a = _rest_bid(client, cid="mb-a", price="60000")
    _rest_bid(client, cid="mb-b", price="60100")
    results = client.modify_batch(
        [
            {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.002", "price": "60200",
             "order_id": a["orderId"]},
            {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.002", "price": "60300",
             "client_order_id": "mb-missing"},
        ]
    )  # fmt: skip
    assert Decimal(results[0]["price"]) == Decimal("60200")
    assert isinstance(results[1], NoSuchOrder)

    cancelled = client.cancel_batch("BTCUSDT", client_order_ids=["mb-a", "mb-gone", "mb-b"])
    assert cancelled[0]["status"] == "CANCELED" and cancelled[2]["status"] == "CANCELED"
    assert isinstance(cancelled[1], NoSuchOrder)
    assert client.open_orders("BTCUSDT") == []
    again = client.cancel_batch("BTCUSDT", order_ids=[a["orderId"]])
    assert isinstance(again[0], NoSuchOrder)  # already gone: per item, not raised


def test_cancel_batch_takes_ids_or_client_ids_not_both(client):
    with pytest.raises(ValidationFailed):
        client.cancel_batch("BTCUSDT", order_ids=[1], client_order_ids=["a"])
    with pytest.raises(ValidationFailed):
        client.cancel_batch("BTCUSDT", order_ids=list(range(11)))


# ------------------------------------------------------------------------------------- hedge


def test_in_hedge_mode_orders_name_their_side_and_positions_stay_apart(client, sim):
    client.change_position_mode(True)
    assert client.position_mode() is True
    long = client.place_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.002"),
        position_side="LONG",
    )  # fmt: skip
    short = client.place_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.003"),
        position_side="SHORT",
    )  # fmt: skip
    assert (long["positionSide"], short["positionSide"]) == ("LONG", "SHORT")
    sides = {
        p["positionSide"]: Decimal(p["positionAmt"])
        for p in client.positions("BTCUSDT")
        if Decimal(p["positionAmt"])
    }
    assert sides == {"LONG": Decimal("0.002"), "SHORT": Decimal("-0.003")}
    assert exchange_position(sim, "BTCUSDT") == Decimal("-0.001")  # net

    # reduce_only is dropped in hedge mode (Binance refuses the parameter, -1106): the SELL of
    # LONG is what closes that side, and the SHORT side is untouched.
    closed = client.place_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.002"),
        position_side="LONG", reduce_only=True,
    )  # fmt: skip
    assert closed["status"] == "FILLED"
    sides = {
        p["positionSide"]: Decimal(p["positionAmt"])
        for p in client.positions("BTCUSDT")
        if Decimal(p["positionAmt"])
    }
    assert sides == {"SHORT": Decimal("-0.003")}


def test_in_hedge_mode_a_stop_names_its_side_and_carries_no_reduce_only(client):
    client.change_position_mode(True)
    client.place_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.002"),
        position_side="LONG",
    )  # fmt: skip
    stop = client.place_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", quantity=Decimal("0.002"),
        stop_price=Decimal("60000"), reduce_only=True, position_side="LONG",
        client_order_id="hedge-sl",
    )  # fmt: skip
    assert stop["clientAlgoId"] == "hedge-sl" and stop["positionSide"] == "LONG"
    assert [a["clientAlgoId"] for a in client.open_algo_orders("BTCUSDT")] == ["hedge-sl"]


def test_a_side_that_does_not_match_the_mode_is_refused_by_the_exchange(client):
    assert client.position_mode() is False
    with pytest.raises(ExchangeRejected) as exc:
        client.place_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.002"),
            position_side="LONG",
        )  # fmt: skip
    assert exc.value.binance_code == -4061


def test_an_unknown_position_side_is_refused_before_sending(client):
    with pytest.raises(ValidationFailed):
        client.place_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002", position_side="UP"
        )


def test_changing_mode_with_an_open_order_is_refused_and_unchanged_is_success(client):
    assert client.change_position_mode(False)["unchanged"] is True
    _rest_bid(client, cid="mode-1")
    with pytest.raises(ExchangeRejected) as exc:
        client.change_position_mode(True)
    assert exc.value.binance_code == -4067
    assert client.position_mode() is False


# ------------------------------------------------------------------------------------- brackets


def test_leverage_brackets_are_a_list_with_decimal_amounts(client):
    one = client.leverage_brackets("BTCUSDT")
    assert [row["symbol"] for row in one] == ["BTCUSDT"]
    brackets = one[0]["brackets"]
    assert brackets[0]["bracket"] == 1 and brackets[0]["notionalFloor"] == Decimal(0)
    assert all(isinstance(b["maintMarginRatio"], Decimal) for b in brackets)
    # caps chain into the next floor and leverage falls as notional grows
    for lower, upper in zip(brackets, brackets[1:], strict=False):
        assert lower["notionalCap"] == upper["notionalFloor"]
        assert lower["initialLeverage"] > upper["initialLeverage"]
    every = client.leverage_brackets()
    assert {"BTCUSDT", "ETHUSDT"} <= {row["symbol"] for row in every}


def test_position_margin_refuses_a_non_positive_amount_before_sending(client, sim):
    sent = sim.control.state()["counters"]["requests"]
    for amount in ("0", "-5"):
        with pytest.raises(ValidationFailed):
            client.position_margin("BTCUSDT", amount, add=True)
    assert sim.control.state()["counters"]["requests"] == sent


def _isolated_margin(sim, symbol: str) -> Decimal:
    rows = sim.control.signed("GET", "/fapi/v2/positionRisk", symbol=symbol).json()
    return sum((Decimal(r["isolatedMargin"]) for r in rows if r["symbol"] == symbol), Decimal(0))


def test_position_margin_adds_and_removes_isolated_margin_and_the_exchange_keeps_it(client, sim):
    client.change_margin_type("BTCUSDT", "ISOLATED")
    client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity=Decimal("0.002"),
        client_order_id="iso-1",
    )
    before = _isolated_margin(sim, "BTCUSDT")
    added = client.position_margin("BTCUSDT", "25.5", add=True)
    assert added["amount"] == Decimal("25.5")
    after_add = _isolated_margin(sim, "BTCUSDT")
    assert after_add == before + Decimal("25.5")
    client.position_margin("BTCUSDT", Decimal("10"), add=False)
    assert _isolated_margin(sim, "BTCUSDT") == after_add - 10


def test_position_margin_on_cross_margin_is_the_exchange_refusal(client):
    client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity=Decimal("0.002"),
        client_order_id="cross-1",
    )
    with pytest.raises(ExchangeRejected) as refused:
        client.position_margin("BTCUSDT", "5", add=True)
    assert refused.value.binance_code == -4049
