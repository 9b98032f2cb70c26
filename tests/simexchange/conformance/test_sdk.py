"""Binance's SDK `binance-sdk-derivatives-trading-usds-futures`: REST API and WebSocket streams."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from binance_common.configuration import ConfigurationRestAPI, ConfigurationWebSocketStreams
from binance_common.errors import ClientError as SdkClientError
from binance_common.errors import Error as SdkError
from binance_sdk_derivatives_trading_usds_futures import DerivativesTradingUsdsFutures
from binance_sdk_derivatives_trading_usds_futures.rest_api.models import (
    ChangeMarginTypeMarginTypeEnum,
    KlineCandlestickDataIntervalEnum,
    NewOrderNewOrderRespTypeEnum,
    NewOrderSideEnum,
    NewOrderTimeInForceEnum,
    NewOrderTypeEnum,
    PlaceMultipleOrdersBatchOrdersParameterInner,
)

from .conftest import KEYS, held

KEY, SECRET = KEYS["sdk"]
S = "BTCUSDT"


def rows(model) -> list:
    """A list answer, whether the SDK wraps it in a root model or not."""
    return list(getattr(model, "root", model))


@pytest.fixture(scope="module")
def client(sim) -> DerivativesTradingUsdsFutures:
    return DerivativesTradingUsdsFutures(
        config_rest_api=ConfigurationRestAPI(
            api_key=KEY, api_secret=SECRET, base_path=sim.base_url
        ),
        config_ws_streams=ConfigurationWebSocketStreams(stream_url=sim.ws_url),
    )


@pytest.fixture
def rest(sim, client):
    api = client.rest_api
    api.cancel_all_open_orders(symbol=S)
    amt = held(sim, KEY, S)
    if amt:
        api.new_order(
            symbol=S,
            side=NewOrderSideEnum.SELL if amt > 0 else NewOrderSideEnum.BUY,
            type=NewOrderTypeEnum.MARKET,
            quantity=float(abs(amt)),
            reduce_only="true",
        )
    api.change_initial_leverage(symbol=S, leverage=20)
    sim.control.set_price(S, "60000")
    return api


def test_market_data(rest):
    assert abs(rest.check_server_time().data().server_time - time.time() * 1000) < 60_000
    info = {s.symbol: s for s in rest.exchange_information().data().symbols}
    assert info[S].contract_type == "PERPETUAL" and info[S].price_precision == 2
    book = rest.order_book(symbol=S, limit=5).data()
    assert book.bids[0] == ["59999.90", "0.500"] and len(book.asks) == 5
    bars = rows(
        rest.kline_candlestick_data(
            symbol=S, interval=KlineCandlestickDataIntervalEnum.INTERVAL_1m, limit=3
        ).data()
    )
    assert len(bars) == 3 and rows(bars[-1])[4] == "60000.00"
    mark = rest.mark_price(symbol=S).data().actual_instance  # one object when a symbol is named
    assert (mark.mark_price, mark.last_funding_rate) == ("60000.00", "0.00010000")
    assert rest.symbol_price_ticker(symbol=S).data().actual_instance.price == "60000.00"
    assert Decimal(rest.open_interest(symbol=S).data().open_interest) >= 0


def test_account_and_settings(rest):
    acct = rest.account_information_v3().data()
    assert acct.total_wallet_balance == acct.available_balance == "10000.00000000"
    balances = rows(rest.futures_account_balance_v3().data())
    assert [(b.asset, b.balance) for b in balances] == [("USDT", "10000.00000000")]
    assert rest.change_initial_leverage(symbol=S, leverage=10).data().leverage == 10
    rest.change_margin_type(symbol="ETHUSDT", margin_type=ChangeMarginTypeMarginTypeEnum.ISOLATED)
    assert rest.get_current_position_mode().data().dual_side_position is False
    assert rest.get_current_multi_assets_mode().data().multi_assets_margin is False
    brackets = rest.notional_and_leverage_brackets(symbol=S).data().actual_instance
    assert brackets.symbol == S and brackets.brackets[0].initial_leverage == 125
    assert rest.futures_account_configuration().data().can_trade is True
    limits = {r.interval: r.limit for r in rest.query_user_rate_limit().data()}
    assert limits == {"SECOND": 300, "MINUTE": 1200}


def test_order_lifecycle_and_fill(rest):
    o = rest.new_order(
        symbol=S,
        side=NewOrderSideEnum.BUY,
        type=NewOrderTypeEnum.LIMIT,
        time_in_force=NewOrderTimeInForceEnum.GTC,
        quantity=0.01,
        price=59000.0,
        new_client_order_id="sdk-c1",
    ).data()
    assert (o.status, o.price, o.orig_qty) == ("NEW", "59000.00", "0.010")
    assert rest.query_order(symbol=S, orig_client_order_id="sdk-c1").data().order_id == o.order_id
    assert [x.order_id for x in rows(rest.current_all_open_orders(symbol=S).data())] == [o.order_id]
    assert rest.query_current_open_order(symbol=S, order_id=o.order_id).data().status == "NEW"
    assert rest.cancel_order(symbol=S, order_id=o.order_id).data().status == "CANCELED"
    assert o.order_id in {x.order_id for x in rows(rest.all_orders(symbol=S).data())}
    filled = rest.new_order(
        symbol=S,
        side=NewOrderSideEnum.BUY,
        type=NewOrderTypeEnum.MARKET,
        quantity=0.01,
        new_order_resp_type=NewOrderNewOrderRespTypeEnum.RESULT,
    ).data()
    assert (filled.status, filled.executed_qty) == ("FILLED", "0.010")
    trades = [
        t for t in rows(rest.account_trade_list(symbol=S).data()) if t.order_id == filled.order_id
    ]
    assert [(t.price, t.qty, t.commission) for t in trades] == [("60000.00", "0.010", "0.24000000")]
    (pos,) = rows(rest.position_information_v3(symbol=S).data())
    assert (pos.position_amt, pos.entry_price) == ("0.010", "60000.00000000")
    assert (
        rest.test_order(
            symbol=S, side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.MARKET, quantity=0.01
        ).data()
        is not None
    )


def test_refusals_raise_sdk_errors(rest):
    with pytest.raises(SdkError) as exc:
        rest.query_order(symbol=S, order_id=1)
    assert "-2013" in str(exc.value) or "Order does not exist" in str(exc.value)


async def test_websocket_streams_market_and_user(sim, client, rest):
    conn = await client.websocket_streams.create_connection()
    got: dict[str, asyncio.Future] = {}
    loop = asyncio.get_running_loop()

    def collect(name, pred=lambda m: True):
        fut = got[name] = loop.create_future()

        def on_message(m):
            if not fut.done() and pred(m):
                fut.set_result(m)

        return on_message

    try:
        streams = {
            "kline": conn.kline_candlestick_streams(symbol="btcusdt", interval="1m"),
            "continuous": conn.continuous_contract_kline_candlestick_streams(
                pair="btcusdt", contract_type="perpetual", interval="1m"
            ),
            "mark": conn.mark_price_stream(symbol="btcusdt"),
            "book": conn.individual_symbol_book_ticker_streams(symbol="btcusdt"),
            "depth": conn.partial_book_depth_streams(symbol="btcusdt", levels=5),
            "tickers": conn.all_market_tickers_streams(),
            "liquidations": conn.all_market_liquidation_order_streams(),
        }
        for name, coro in streams.items():
            (await coro).on("message", collect(name))
        wanted = [n for n in streams if n != "liquidations"]  # none happen here: silent
        msgs = {n: await asyncio.wait_for(got[n], 10) for n in wanted}
        assert msgs["kline"].k.c == "60000.00"
        assert (msgs["continuous"].ps, msgs["continuous"].k.c) == ("BTCUSDT", "60000.00")
        assert msgs["mark"].p == "60000.00"
        assert (msgs["book"].b, msgs["book"].a) == ("59999.90", "60000.00")
        assert len(msgs["depth"].b) == 5
        assert {t.s for t in rows(msgs["tickers"])} >= {"BTCUSDT", "ETHUSDT"}
        lk = rest.start_user_data_stream().data().listen_key
        (await conn.user_data(lk)).on("message", collect("user"))
        await asyncio.sleep(0.5)
        rest.new_order(
            symbol=S, side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.MARKET, quantity=0.01
        )
        event = (await asyncio.wait_for(got["user"], 10)).actual_instance
        # the SDK picks the event's model by its "e": ORDER_TRADE_UPDATE -> OrderTradeUpdate
        assert type(event).__name__ == "OrderTradeUpdate"
        assert (event.o.s, event.o.o, event.o.q, event.o.x) == (S, "MARKET", "0.010", "NEW")
    finally:
        await conn.close_connection()


def test_modify_batch_and_countdown(rest):
    o = rest.new_order(
        symbol=S,
        side=NewOrderSideEnum.BUY,
        type=NewOrderTypeEnum.LIMIT,
        time_in_force=NewOrderTimeInForceEnum.GTC,
        quantity=0.01,
        price=59000.0,
    ).data()
    mod = rest.modify_order(
        symbol=S, side="BUY", quantity=0.02, price=58500.0, order_id=o.order_id
    ).data()
    assert (mod.order_id, mod.price, mod.orig_qty) == (o.order_id, "58500.00", "0.020")
    got = rest.query_order(symbol=S, order_id=o.order_id).data()
    assert (got.price, got.orig_qty, got.status) == ("58500.00", "0.020", "NEW")
    (amend,) = rows(rest.get_order_modify_history(symbol=S, order_id=o.order_id).data())
    assert (amend.amendment.price.before, amend.amendment.price.after) == ("59000.00", "58500.00")
    batch = rows(
        rest.place_multiple_orders(
            batch_orders=[
                PlaceMultipleOrdersBatchOrdersParameterInner(
                    symbol=S,
                    side="BUY",
                    type="LIMIT",
                    time_in_force="GTC",
                    quantity=0.01,
                    price=float(p),
                    new_client_order_id=f"sdk-b{p}",
                )
                for p in (57000, 57100)
            ]
        ).data()
    )
    assert [(b.client_order_id, b.price, b.status) for b in batch] == [
        ("sdk-b57000", "57000.00", "NEW"),
        ("sdk-b57100", "57100.00", "NEW"),
    ]
    cancelled = rows(
        rest.cancel_multiple_orders(symbol=S, order_id_list=[b.order_id for b in batch]).data()
    )
    assert [(c.order_id, c.status) for c in cancelled] == [(b.order_id, "CANCELED") for b in batch]
    armed = rest.auto_cancel_all_open_orders(symbol=S, countdown_time=120_000).data()
    assert (armed.symbol, armed.countdown_time) == (S, "120000")
    assert rest.auto_cancel_all_open_orders(symbol=S, countdown_time=0).data().countdown_time == "0"
    assert [x.order_id for x in rows(rest.current_all_open_orders(symbol=S).data())] == [o.order_id]


def test_public_trades_and_futures_data(rest):
    rest.new_order(symbol=S, side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.MARKET, quantity=0.01)
    recent = rows(rest.recent_trades_list(symbol=S, limit=5).data())
    assert all(t.id > 0 and Decimal(t.price) > 0 for t in recent)
    assert (recent[-1].price, recent[-1].qty, recent[-1].is_buyer_maker) == (
        "60000.00",
        "0.010",
        False,
    )
    older = rows(rest.old_trades_lookup(symbol=S, limit=2, from_id=recent[0].id).data())
    assert older[0].id == recent[0].id
    agg = rows(rest.compressed_aggregate_trades_list(symbol=S, limit=5).data())
    assert (agg[-1].p, agg[-1].m) == ("60000.00", False)
    oi = rows(rest.open_interest_statistics(symbol=S, period="5m", limit=3).data())
    assert len(oi) == 3 and all(Decimal(r.sum_open_interest) >= 0 for r in oi)
    assert oi[0].timestamp < oi[1].timestamp < oi[2].timestamp
    for call in (
        rest.long_short_ratio,
        rest.top_trader_long_short_ratio_accounts,
        rest.top_trader_long_short_ratio_positions,
    ):
        (r,) = rows(call(symbol=S, period="5m", limit=1).data())
        assert Decimal(r.long_account) + Decimal(r.short_account) == 1
    (taker,) = rows(rest.taker_buy_sell_volume(symbol=S, period="5m", limit=1).data())
    assert Decimal(taker.buy_sell_ratio) >= 0 and Decimal(taker.buy_vol) >= 0


def test_hedge_mode_with_the_sdks_own_calls(rest):
    assert rest.change_position_mode(dual_side_position="true").data().code == 200
    try:
        assert rest.get_current_position_mode().data().dual_side_position is True
        o = rest.new_order(
            symbol=S,
            side=NewOrderSideEnum.BUY,
            position_side="LONG",
            type=NewOrderTypeEnum.MARKET,
            quantity=0.01,
        ).data()
        assert o.position_side == "LONG"
        sides = {
            p.position_side: Decimal(p.position_amt)
            for p in rows(rest.position_information_v3(symbol=S).data())
        }
        assert sides == {"LONG": Decimal("0.01"), "SHORT": 0}
        with pytest.raises(SdkError, match="-4068"):  # a position blocks the switch back
            rest.change_position_mode(dual_side_position="false")
    finally:  # one-way again for the next test: close what is open, then switch
        for p in rows(rest.position_information_v3(symbol=S).data()):
            if not Decimal(p.position_amt):
                continue
            rest.new_order(
                symbol=S,
                side=NewOrderSideEnum.SELL if p.position_side == "LONG" else NewOrderSideEnum.BUY,
                position_side=p.position_side,
                type=NewOrderTypeEnum.MARKET,
                quantity=float(abs(Decimal(p.position_amt))),
            )
        assert rest.change_position_mode(dual_side_position="false").data().code == 200
    assert rest.get_current_position_mode().data().dual_side_position is False


def test_isolated_margin_add_reduce_and_history(rest):
    """modify_isolated_position_margin moves the isolated wallet; the history lists both."""
    rest.change_margin_type(symbol=S, margin_type=ChangeMarginTypeMarginTypeEnum.ISOLATED)
    try:
        rest.new_order(
            symbol=S, side=NewOrderSideEnum.BUY, type=NewOrderTypeEnum.MARKET, quantity=0.01
        )
        added = rest.modify_isolated_position_margin(symbol=S, amount=10.0, type=1).data()
        assert (added.code, added.amount, added.type) == (200, 10.0, 1)
        rest.modify_isolated_position_margin(symbol=S, amount=5.0, type=2)
        history = rows(rest.get_position_margin_change_history(symbol=S).data())
        assert [(h.type, h.amount, h.position_side) for h in history] == [
            (1, "10.0", "BOTH"),
            (2, "5.0", "BOTH"),
        ]
        pos = rows(rest.position_information_v3(symbol=S).data())[0]
        assert Decimal(pos.isolated_wallet) == Decimal("35")
        with pytest.raises((SdkError, SdkClientError)):  # -4051: only 5 above initial margin
            rest.modify_isolated_position_margin(symbol=S, amount=6.0, type=2)
    finally:
        rest.new_order(
            symbol=S,
            side=NewOrderSideEnum.SELL,
            type=NewOrderTypeEnum.MARKET,
            quantity=0.01,
            reduce_only="true",
        )
        rest.change_margin_type(symbol=S, margin_type=ChangeMarginTypeMarginTypeEnum.CROSSED)


def test_funding_commission_and_income(rest):
    """The money reads (funding history, fee rates, the income ledger) answer Binance's shapes."""
    fee = rest.user_commission_rate(symbol=S).data()
    assert (fee.symbol, fee.maker_commission_rate, fee.taker_commission_rate) == (
        S,
        "0.0002",
        "0.0004",
    )
    rates = rest.get_funding_rate_history(symbol=S).data()
    assert all(r.symbol == S for r in rates)
    income = rest.get_income_history().data()
    assert all(r.income_type and r.asset == "USDT" for r in income)
