"""The WebSocket-API order transport against the running stand-in over real sockets (and a
proxy that loses answers): same calls and answers as REST, and a lost answer never becomes
two orders."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from futures.binance.errors import (
    AuthenticationFailed,
    NoSuchOrder,
    RateLimited,
    UnknownExecutionStatus,
)
from futures.binance.http import BinanceHttp
from futures.binance.rest import BinanceFutures
from futures.binance.ws_api import BinanceFuturesWs, order_client_from_settings
from simexchange.testing import RunningSim, running_simexchange
from tests.futures.conftest import PRICES
from tests.support.stand_in import exchange_orders
from tests.support.ws_proxy import LosingProxy

WS_PATH = "/ws-fapi/v1"


def _bid(client, cid, price="60000", qty="0.002", **extra):
    return client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal(qty),
        price=Decimal(price),
        client_order_id=cid,
        **extra,
    )


@pytest.fixture
def prices(sim):
    BinanceHttp.clear_backoff(sim.base_url)
    for symbol, price in PRICES.items():
        sim.control.set_price(symbol, price, mark=price)
    yield sim
    BinanceHttp.clear_backoff(sim.base_url)


@pytest.fixture
def proxy(sim) -> Iterator[LosingProxy]:
    p = LosingProxy(sim.ws_url).start()
    yield p
    p.stop()


def _ws_client(sim, ws_root: str, timeout: float = 3.0) -> BinanceFuturesWs:
    c = BinanceFuturesWs(
        sim.base_url,
        sim.api_key,
        sim.api_secret,
        ws_api_url=ws_root + WS_PATH,
        recv_window=5000,
        timeout=timeout,
    )
    c.lookup_delays = (0.01, 0.05)
    return c


@pytest.fixture
def ws(prices, proxy) -> Iterator[BinanceFuturesWs]:
    """A WS-API client whose socket runs through the proxy (which counts what it forwards)."""
    c = _ws_client(prices, proxy.url)
    yield c
    c.close()


@pytest.fixture
def rest(prices) -> BinanceFutures:
    return BinanceFutures(prices.base_url, prices.api_key, prices.api_secret, timeout=5)


# ---------------------------------------------------------------------- the four order calls


def test_it_places_modifies_queries_and_cancels_over_one_socket(ws, proxy, sim):
    placed = _bid(ws, "ws-1")
    assert placed["status"] == "NEW" and placed["clientOrderId"] == "ws-1"
    changed = ws.modify_order(
        "BTCUSDT", side="BUY", quantity=Decimal("0.003"), price=Decimal("60500"),
        client_order_id="ws-1",
    )  # fmt: skip
    assert changed["orderId"] == placed["orderId"]
    assert Decimal(changed["price"]) == Decimal("60500")
    status = ws.query_order("BTCUSDT", client_order_id="ws-1")
    assert (status["orderId"], Decimal(status["origQty"])) == (placed["orderId"], Decimal("0.003"))
    cancelled = ws.cancel_order("BTCUSDT", order_id=placed["orderId"])
    assert cancelled["status"] == "CANCELED"

    assert dict(proxy.forwarded) == {
        "order.place": 1,
        "order.modify": 1,
        "order.status": 1,
        "order.cancel": 1,
    }
    assert ws.connects == 1
    assert [o["status"] for o in exchange_orders(sim, "BTCUSDT")] == ["CANCELED"]


def test_its_answers_have_the_rest_connectors_shape(ws, rest):
    by_ws = _bid(ws, "shape-ws")
    by_rest = _bid(rest, "shape-rest")
    assert set(by_ws) == set(by_rest)
    assert set(ws.query_order("BTCUSDT", client_order_id="shape-rest")) == set(
        rest.query_order("BTCUSDT", client_order_id="shape-ws")
    )


def test_reads_other_than_orders_stay_on_rest(ws, proxy):
    assert "totalWalletBalance" in ws.account()
    assert ws.symbol_filters("BTCUSDT") is not None
    assert dict(proxy.forwarded) == {}
    assert ws.connects == 0  # no socket opened for them


def test_stop_orders_go_to_the_algo_service_over_the_socket(ws, proxy):
    algo = ws.place_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", quantity=Decimal("0.002"),
        stop_price=Decimal("50000"), reduce_only=True, client_order_id="ws-sl",
    )  # fmt: skip
    assert algo["clientAlgoId"] == "ws-sl" and algo["algoId"]
    gone = ws.cancel_order("BTCUSDT", order_id=algo["algoId"], is_algo=True)
    assert gone["algoId"] == algo["algoId"]
    assert proxy.forwarded["algoOrder.place"] == 1 and proxy.forwarded["algoOrder.cancel"] == 1


def test_hedge_mode_sides_over_the_socket(ws, rest):
    rest.change_position_mode(True)
    long = ws.place_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.002"),
        position_side="LONG",
    )  # fmt: skip
    short = ws.place_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity=Decimal("0.003"),
        position_side="SHORT",
    )  # fmt: skip
    assert (long["positionSide"], short["positionSide"]) == ("LONG", "SHORT")
    sides = {
        p["positionSide"]: Decimal(p["positionAmt"])
        for p in rest.positions("BTCUSDT")
        if Decimal(p["positionAmt"])
    }
    assert sides == {"LONG": Decimal("0.002"), "SHORT": Decimal("-0.003")}


def test_a_socket_the_exchange_closed_is_reopened_by_the_next_call(ws, proxy, sim):
    sim.control.faults(ws_cut_after=1)  # the stand-in cuts the socket after its next answer
    assert _bid(ws, "cut-1")["status"] == "NEW"
    sim.control.clear_faults()
    assert _bid(ws, "cut-2")["status"] == "NEW"
    assert ws.connects >= 2
    assert proxy.forwarded["order.place"] == 2  # each sent once
    assert sorted(o["clientOrderId"] for o in exchange_orders(sim, "BTCUSDT")) == [
        "cut-1",
        "cut-2",
    ]


# ---------------------------------------------------------------------- idempotency


def test_a_lost_answer_is_found_by_client_id_and_never_becomes_two_orders(ws, proxy, sim):
    _bid(ws, "warm-1", price="59000")  # the socket is open before the answer is lost
    proxy.lose_answer("order.place", "drop")
    placed = _bid(ws, "lost-1")

    assert placed["clientOrderId"] == "lost-1" and placed["status"] == "NEW"
    assert len(proxy.lost) == 1 and proxy.lost[0]["result"]["clientOrderId"] == "lost-1"
    assert proxy.forwarded["order.place"] == 2  # warm-1 and lost-1, each once
    assert proxy.forwarded["order.status"] >= 1  # looked up, on a new socket
    assert ws.connects == 2
    assert sorted(o["clientOrderId"] for o in exchange_orders(sim, "BTCUSDT")) == [
        "lost-1",
        "warm-1",
    ]


def test_an_answer_that_never_comes_raises_unknown_status_and_sends_nothing_again(
    prices, proxy, rest, sim
):
    c = _ws_client(prices, proxy.url, timeout=0.5)
    try:
        proxy.lose_answer("order.place", "hold")
        proxy.lose_answer("order.status", "hold", times=10)  # the lookups go unanswered too
        with pytest.raises(UnknownExecutionStatus) as exc:
            _bid(c, "held-1")
    finally:
        c.close()
    assert exc.value.details["clientOrderId"] == "held-1"
    assert proxy.forwarded["order.place"] == 1  # not re-sent while the outcome is unknown
    # the caller's next step: read it by client id; the exchange has exactly one
    assert rest.query_order("BTCUSDT", client_order_id="held-1")["status"] == "NEW"
    assert [o["clientOrderId"] for o in exchange_orders(sim, "BTCUSDT")] == ["held-1"]


def test_a_re_sent_client_id_is_refused_by_the_exchange_and_the_order_returned(ws, proxy, sim):
    first = _bid(ws, "dup-ws")
    again = _bid(ws, "dup-ws", price="60100")
    assert -4116 in proxy.error_codes  # the exchange refused the second placement
    assert again["orderId"] == first["orderId"]
    assert Decimal(again["price"]) == Decimal("60000")  # the order that exists, unchanged
    assert len(exchange_orders(sim, "BTCUSDT")) == 1


def test_concurrent_callers_share_one_socket_and_each_gets_its_own_answer(ws, sim):
    answers: dict[str, str] = {}
    errors: list[Exception] = []

    def trader(n: int) -> None:
        try:
            for k in range(4):
                cid = f"cc-{n}-{k}"
                answers[cid] = _bid(ws, cid, price=str(59000 + n * 10 + k))["clientOrderId"]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=trader, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(answers) == 24 and all(cid == got for cid, got in answers.items())
    assert ws.connects == 1
    assert len(exchange_orders(sim, "BTCUSDT")) == 24


# ---------------------------------------------------------------------- errors


def test_exchange_refusals_are_the_rest_paths_typed_errors(ws):
    with pytest.raises(NoSuchOrder):
        ws.cancel_order("BTCUSDT", client_order_id="never-sent")
    with pytest.raises(NoSuchOrder):
        ws.query_order("BTCUSDT", client_order_id="never-sent")


def test_a_429_over_the_socket_opens_the_shared_back_off(ws, proxy, sim):
    _bid(ws, "rl-0")
    sim.control.faults(burst_429=1)
    with pytest.raises(RateLimited) as first:
        _bid(ws, "rl-1")
    assert first.value.http_status == 429
    sent = proxy.forwarded["order.place"]
    with pytest.raises(RateLimited):
        _bid(ws, "rl-2")
    assert proxy.forwarded["order.place"] == sent  # held back locally, nothing sent
    assert [o["clientOrderId"] for o in exchange_orders(sim, "BTCUSDT")] == ["rl-0"]


def test_clock_skew_is_recovered_by_resyncing_once(ws, sim):
    ws.sync_time()
    sim.control.faults(clock_skew_ms=20_000)
    assert _bid(ws, "skew-1")["status"] == "NEW"
    assert ws.time_offset_ms > 15_000


def test_a_wrong_secret_is_refused_and_never_shown(prices, proxy):
    c = BinanceFuturesWs(
        prices.base_url, prices.api_key, "wrong-secret-xyz",
        ws_api_url=proxy.url + WS_PATH, timeout=3,
    )  # fmt: skip
    try:
        c.sync_time()
        with pytest.raises(AuthenticationFailed) as exc:
            _bid(c, "auth-1")
    finally:
        c.close()
    text = f"{exc.value} {exc.value.details} {c!r}"
    assert "wrong-secret-xyz" not in text and "signature" not in text


def test_an_unreachable_ws_api_is_a_definite_failure(prices, rest, sim):
    from futures.binance.errors import ExchangeUnavailable

    c = _ws_client(prices, "ws://127.0.0.1:9", timeout=1)
    with pytest.raises(ExchangeUnavailable) as exc:
        _bid(c, "nowhere-1")
    assert not isinstance(exc.value, UnknownExecutionStatus)  # nothing can have been sent
    assert exchange_orders(sim, "BTCUSDT") == []


# ---------------------------------------------------------------------- the setting


def test_the_setting_picks_the_transport(settings, sim_settings):
    settings.SPARK_ORDER_TRANSPORT = "rest"
    assert type(order_client_from_settings()) is BinanceFutures
    settings.SPARK_ORDER_TRANSPORT = "ws"
    settings.BINANCE_FUTURES_WS_API_URL = sim_settings.ws_url + WS_PATH
    client = order_client_from_settings()
    assert isinstance(client, BinanceFuturesWs)
    assert client is order_client_from_settings()  # one pooled client
    assert client.query_order  # the REST connector's names
    try:
        with pytest.raises(NoSuchOrder):
            client.query_order("BTCUSDT", client_order_id="never-sent")
        assert client.connects == 1
    finally:
        client.close()  # pooled: a later call would open a new socket


# ---------------------------------------------------------------------- Ed25519 keys

ED_KEY = Ed25519PrivateKey.generate()
ED_PUBLIC = base64.b64encode(ED_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
ED_PEM = ED_KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@pytest.fixture(scope="module")
def ed_sim() -> Iterator[RunningSim]:
    with running_simexchange(api_keys=f"edkey:ed25519:{ED_PUBLIC.decode()}") as s:
        yield s


def test_an_ed25519_key_logs_the_socket_on_and_signs_rest_too(ed_sim):
    ed_sim.control.reset()
    ed_sim.control.set_price("BTCUSDT", "65000", mark="65000")
    one_line = ED_PEM.replace("\n", "\\n")  # as an environment variable holds it
    c = BinanceFuturesWs(
        ed_sim.base_url, "edkey", one_line, ws_api_url=ed_sim.ws_url + WS_PATH, timeout=3
    )
    try:
        placed = _bid(c, "ed-1")
        assert placed["status"] == "NEW"
        assert c.query_order("BTCUSDT", client_order_id="ed-1")["orderId"] == placed["orderId"]
        assert "totalWalletBalance" in c.account()  # REST, Ed25519-signed
    finally:
        c.close()
    state = ed_sim.control.state()["accounts"]["edkey"]
    assert [o["clientOrderId"] for o in state["open_orders"]] == ["ed-1"]


def test_another_ed25519_key_is_refused_at_logon(ed_sim):
    ed_sim.control.reset()
    other = Ed25519PrivateKey.generate()
    pem = other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    c = BinanceFuturesWs(
        ed_sim.base_url, "edkey", pem, ws_api_url=ed_sim.ws_url + WS_PATH, timeout=3
    )
    try:
        c.sync_time()
        with pytest.raises(AuthenticationFailed):
            _bid(c, "ed-forged")
    finally:
        c.close()
    assert ed_sim.control.state()["accounts"]["edkey"]["open_orders"] == []
