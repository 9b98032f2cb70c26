"""Hypothesis fuzz of every endpoint's parameters: never a 5xx, and rejections change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simexchange.testing import RunningSim, running_simexchange

from .conftest import ALICE, Client

SIGNED = [
    ("GET", "/fapi/v2/account", []),
    ("GET", "/fapi/v3/account", []),
    ("GET", "/fapi/v2/balance", []),
    ("GET", "/fapi/v3/positionRisk", ["symbol"]),
    ("GET", "/fapi/v2/positionRisk", ["symbol"]),
    ("GET", "/fapi/v1/openOrders", ["symbol"]),
    ("GET", "/fapi/v1/order", ["symbol", "orderId", "origClientOrderId"]),
    (
        "POST",
        "/fapi/v1/order",
        [
            "symbol",
            "side",
            "type",
            "quantity",
            "price",
            "timeInForce",
            "reduceOnly",
            "newClientOrderId",
            "newOrderRespType",
            "positionSide",
        ],
    ),
    ("DELETE", "/fapi/v1/order", ["symbol", "orderId", "origClientOrderId"]),
    ("DELETE", "/fapi/v1/allOpenOrders", ["symbol"]),
    ("POST", "/fapi/v1/leverage", ["symbol", "leverage"]),
    ("POST", "/fapi/v1/marginType", ["symbol", "marginType"]),
    ("GET", "/fapi/v1/userTrades", ["symbol", "limit", "fromId", "startTime", "endTime"]),
    ("GET", "/fapi/v1/symbolConfig", ["symbol"]),
    ("POST", "/fapi/v1/positionSide/dual", ["dualSidePosition"]),
    (
        "POST",
        "/fapi/v1/algoOrder",
        [
            "algoType",
            "symbol",
            "side",
            "type",
            "quantity",
            "price",
            "triggerPrice",
            "workingType",
            "closePosition",
            "reduceOnly",
            "callbackRate",
            "activatePrice",
            "clientAlgoId",
            "timeInForce",
        ],
    ),
    ("GET", "/fapi/v1/algoOrder", ["algoId", "clientAlgoId"]),
    ("DELETE", "/fapi/v1/algoOrder", ["algoId", "clientAlgoId"]),
    ("GET", "/fapi/v1/openAlgoOrders", ["symbol"]),
    ("DELETE", "/fapi/v1/algoOpenOrders", ["symbol"]),
    ("GET", "/api/v3/account", ["omitZeroBalances"]),
]
PUBLIC = [
    ("GET", "/fapi/v1/depth", ["symbol", "limit"]),
    ("GET", "/fapi/v1/klines", ["symbol", "interval", "limit", "startTime", "endTime"]),
    ("GET", "/fapi/v1/ticker/24hr", ["symbol"]),
    ("GET", "/fapi/v1/ticker/price", ["symbol"]),
    ("GET", "/fapi/v1/ticker/bookTicker", ["symbol"]),
    ("GET", "/fapi/v1/premiumIndex", ["symbol"]),
    ("GET", "/api/v3/ticker/price", ["symbol", "symbols"]),
    ("GET", "/api/v2/ticker", ["pairSymbol"]),
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "BTCUSDT",
            "ETHUSDT",
            "btcusdt",
            "FOOUSDT",
            "BUY",
            "SELL",
            "LIMIT",
            "MARKET",
            "STOP_MARKET",
            "TAKE_PROFIT",
            "TRAILING_STOP_MARKET",
            "GTC",
            "IOC",
            "FOK",
            "GTX",
            "0",
            "-1",
            "0.001",
            "0.01",
            "0.5",
            "3",
            "60000",
            "59000",
            "61000",
            "59000.05",
            "1e5",
            "NaN",
            "abc",
            "true",
            "false",
            "TRUE",
            "",
            "99999999999999999999999",
            "1.2.3",
            "CONDITIONAL",
            "ISOLATED",
            "CROSSED",
            "RESULT",
            "ACK",
            "MARK_PRICE",
            "1h",
            "1m",
            "5",
            "1000",
            "1500",
            "1501",
            "4000000001",
            '["BTCUSDT"]',
            "[",
            "BOTH",
            "LONG",
            "BTCTRY",
        ]  # fmt: skip
    ),
    st.text(max_size=12),
)


@pytest.fixture(scope="module")
def fuzz_sim() -> Iterator[RunningSim]:
    with running_simexchange(
        api_keys=f"{ALICE[0]}:{ALICE[1]}", feed_running=False, weight_limit=10**9
    ) as s:
        s.control.set_price("BTCUSDT", "60000")
        yield s


def account_view(sim: RunningSim) -> dict:
    acc = sim.control.state()["accounts"][ALICE[0]]
    return {k: acc[k] for k in ("wallet", "positions", "orders", "algo_orders", "trades", "spot")}


def endpoint_params(endpoints):
    return st.sampled_from(endpoints).flatmap(
        lambda ep: st.tuples(
            st.just(ep), st.dictionaries(st.sampled_from(ep[2] or ["x"]), VALUES, max_size=8)
        )
    )


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=endpoint_params(SIGNED))
def test_signed_endpoints_never_crash_and_rejections_change_nothing(fuzz_sim, case):
    (method, path, _), params = case
    api = Client(fuzz_sim.base_url, *ALICE)
    before = account_view(fuzz_sim)
    r = api.call(method, path, **params)
    assert r.status_code < 500, (method, path, params, r.text)
    body = r.json()
    if r.status_code != 200:
        assert isinstance(body["code"], int) and body["code"] < 0, body
        assert account_view(fuzz_sim) == before, (method, path, params, body)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=endpoint_params(PUBLIC))
def test_public_endpoints_never_crash(fuzz_sim, case):
    (method, path, _), params = case
    r = requests.request(method, fuzz_sim.base_url + path, params=params, timeout=10)
    assert r.status_code < 500, (method, path, params, r.text)
    r.json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.text(max_size=20),
    timestamp=st.one_of(st.integers(min_value=-(10**15), max_value=10**15).map(str), st.text()),
    signature=st.text(max_size=70),
    recv=st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 10**6).map(str)),
)
def test_malformed_auth_never_crashes(fuzz_sim, key, timestamp, signature, recv):
    params = {"timestamp": timestamp, "signature": signature}
    if recv is not None:
        params["recvWindow"] = recv
    try:
        r = requests.get(
            fuzz_sim.base_url + "/fapi/v3/account",
            params=params,
            headers={"X-MBX-APIKEY": key},
            timeout=10,
        )
    except (requests.exceptions.InvalidHeader, ValueError, UnicodeEncodeError):
        return  # requests refuses to send that header at all
    assert r.status_code in (400, 401), r.text


@pytest.mark.parametrize(
    "method,path,params",
    [
        ("GET", "/fapi/v1/algoOrder", {"algoId": "¹"}),  # a superscript: isdigit() but not int()
        ("GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": "²3"}),
        ("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": "٣"}),  # Arabic-Indic 3
    ],
)
def test_unicode_digits_are_malformed_parameters_not_crashes(fuzz_sim, method, path, params):
    r = Client(fuzz_sim.base_url, *ALICE).call(method, path, **params)
    assert r.status_code == 400, r.text
    assert r.json()["code"] in (-1100, -1102, -1130, -4028), r.text  # -4028: bad leverage
