"""Findings 2, 7 and the record-pnl part of 9 of issue 20: strict flags and bounded decimals.

Only the JSON boolean false may make an order live; every other spelling of "no" is 422 naming
the field. Every decimal in a request body is read exactly (never through float), bounded and
checked for places so it fits its column: 422 naming the field, never a 500 from PostgreSQL's
numeric overflow, never rounded to 0 while echoed. Each refusal changes nothing: no Order,
PnL, canary run, draft or backtest row, and no order reaches the stand-in.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEntry
from canary.models import CanaryRun
from copilot.models import StrategyDraft
from futures.models import Order
from risk.models import PnLEntry
from strategies.models import BacktestRun

# Refusals need no commit; the tests that place live orders ask for real transactions.
pytestmark = [pytest.mark.django_db, pytest.mark.backends]
LIVE = pytest.mark.django_db(transaction=True)

BAD_FLAGS = [
    "false", "False", "FALSE", "no", "off", "n", "f", "0", "", 0, 0.0, 1, "true", "True", None,
    [], {}, [False],
]  # fmt: skip

# Raw JSON, so numbers keep their spelling (1e400 as a number, not a string).
BAD_DECIMALS = [
    '"1e400"', "1e400", "1e308", "-1e308", "12345678901234567890123456789012",
    '"12345678901234567890123456789012"', '"12345678901234567890.12345678901"',
    '"NaN"', '"nan"', '"Infinity"', '"-Infinity"', '"1_000"', '"\\u0661\\u0662\\u0663"',
    '" 12 "', '"12 "', '"+5"', '"0x10"', '"0.00000000001"', "0.00000000001", '"1e3"',
    '"1,5"', '".5"', '"5."', '""', '"-"', "true", "false", "[]", "{}",
]  # fmt: skip
NOT_JSON = ["NaN", "Infinity", "-Infinity"]  # Python's json reads these; JSON has no such thing


def _order(**fields) -> dict:
    body = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    return {**body, "dryRun": False, **fields}


def _limit(**fields) -> dict:
    return _order(type="LIMIT", price="3300", timeInForce="GTC", **fields)


def _stop(**fields) -> dict:
    return _order(type="STOP_MARKET", stopPrice="3500", **fields)


PNL = {"symbol": "ETHUSDT", "amount": "-5", "reference": "strict-1"}
GENERATE = {"prompt": "EMA 12/26 cross on BTCUSDT 1h", "save": True, "maxNotionalUsd": "100"}


def _backtest(**config) -> dict:
    doc = {"name": "x", "symbol": "BTCUSDT"}
    return {"document": doc, "days": 1, "config": {"initial_cash": "1000", **config}}


# (id, path, who, body, field): the field's value is replaced by each bad value.
DECIMAL_ROUTES = [
    ("order-quantity", "/futures/order.place", "alice", _order(), "quantity"),
    ("order-price", "/futures/order.place", "alice", _limit(), "price"),
    ("order-stopPrice", "/futures/order.place", "alice", _stop(), "stopPrice"),
    ("pnl-amount", "/futures/risk/record-pnl", "olga", PNL, "amount"),
    ("canary-quantity", "/canary/run", "alice", {"symbol": "ETHUSDT"}, "quantity"),
    ("generate-maxNotional", "/ai/generate-strategy", "alice", GENERATE, "maxNotionalUsd"),
    ("backtest-cash", "/strategies/backtests", "alice", _backtest(), "config.initial_cash"),
    ("backtest-fee", "/strategies/backtests", "alice", _backtest(), "config.fee_rate"),
]
FLAG_ROUTES = [
    ("order-dryRun", "/futures/order.place", "alice", _order(), "dryRun"),
    ("order-reduceOnly", "/futures/order.place", "alice", _order(), "reduceOnly"),
    ("generate-save", "/ai/generate-strategy", "alice", GENERATE, "save"),
]


def _state(sim) -> dict:
    """Everything a refused request must leave as it was, the stand-in's own orders included."""
    exchange = sim.control.state()
    return {
        "orders": Order.objects.count(),
        "pnl": PnLEntry.objects.count(),
        "canary": sorted(CanaryRun.objects.values_list("pk", "status")),
        "drafts": StrategyDraft.objects.count(),
        "backtests": BacktestRun.objects.count(),
        "ok_audit": AuditEntry.objects.filter(outcome="ok").count(),
        "exchange_orders": exchange["counters"].get("orders", 0),
        "exchange_books": sum(len(a["orders"]) for a in exchange["accounts"].values()),
    }


def _with(body: dict, field: str, raw: str) -> str:
    """body as JSON text with field (dotted) set to the raw JSON fragment."""
    doc = json.loads(json.dumps(body))
    *parents, leaf = field.split(".")
    node = doc
    for name in parents:
        node = node[name]
    node[leaf] = "@@BAD@@"
    return json.dumps(doc).replace('"@@BAD@@"', raw)


def _assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {f["field"] for f in error["details"]["fields"]} == {field}, error
    assert field in error["message"]


@pytest.fixture
def cast(alice, olga, token_for):
    return {"alice": token_for(alice), "olga": token_for(olga)}


@pytest.fixture
def exchange(sim_settings):
    from futures.binance.http import BinanceHttp

    BinanceHttp.clear_backoff()
    yield sim_settings
    BinanceHttp.clear_backoff()


@pytest.mark.parametrize("raw", BAD_DECIMALS)
@pytest.mark.parametrize(
    ("path", "who", "body", "field"),
    [r[1:] for r in DECIMAL_ROUTES],
    ids=[r[0] for r in DECIMAL_ROUTES],
)
def test_it_refuses_every_malformed_or_oversized_decimal(
    api, exchange, cast, path, who, body, field, raw
):
    before = _state(exchange)

    response = api.post(path, raw=_with(body, field, raw), token=cast[who])

    _assert_refused(response, field)
    assert _state(exchange) == before


@pytest.mark.parametrize("flag", BAD_FLAGS, ids=repr)
@pytest.mark.parametrize(
    ("path", "who", "body", "field"), [r[1:] for r in FLAG_ROUTES], ids=[r[0] for r in FLAG_ROUTES]
)
def test_only_json_booleans_are_flags(api, exchange, cast, path, who, body, field, flag):
    before = _state(exchange)

    response = api.post(path, {**body, field: flag}, token=cast[who])

    _assert_refused(response, field)
    assert _state(exchange) == before


@pytest.mark.parametrize("constant", NOT_JSON)
def test_nan_and_infinity_literals_are_not_json(api, exchange, cast, constant):
    before = _state(exchange)

    response = api.post("/futures/order.place", raw=_with(_order(), "quantity", constant),
                        token=cast["alice"])  # fmt: skip

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"]["fields"] == [
        {"field": "body", "message": "malformed JSON"}
    ]
    assert _state(exchange) == before


@LIVE
def test_dry_run_no_reaches_no_exchange_but_false_does(api, exchange, cast):
    """The attack of finding 2, and its control: the same body with the JSON false goes live."""
    before = _state(exchange)

    refused = api.post("/futures/order.place", _order(dryRun="no"), token=cast["alice"])

    _assert_refused(refused, "dryRun")
    assert _state(exchange) == before
    placed = api.post("/futures/order.place", _order(dryRun=False), token=cast["alice"])
    assert placed.status_code == 200, placed.content
    assert _state(exchange)["exchange_orders"] == before["exchange_orders"] + 1
    assert Order.objects.get().dry_run is False


@pytest.fixture
def simulated_run(api, exchange, cast):
    exchange.control.set_price("ETHUSDT", "3400", mark="3400")
    response = api.post("/canary/run", {}, token=cast["alice"])
    assert response.status_code == 200, response.content
    run = response.json()["run"]
    assert run["status"] == "SIMULATED"
    return run


@pytest.mark.parametrize("field", ["keepPosition", "testnet"])
@pytest.mark.parametrize("flag", ["false", "true", 0, 1, None, "no"], ids=repr)
def test_canary_confirm_flags_are_strict(api, exchange, cast, simulated_run, field, flag):
    before = _state(exchange)

    response = api.post(
        "/canary/confirm", {"runId": simulated_run["id"], field: flag}, token=cast["alice"]
    )

    _assert_refused(response, field)
    assert _state(exchange) == before
    assert CanaryRun.objects.get(pk=simulated_run["id"]).status == "SIMULATED"


def test_a_json_number_is_read_from_its_text_never_through_float(api, exchange, cast):
    raw = _with(_order(dryRun=True), "quantity", "0.01")  # as a float: 0.01000000000000000021

    response = api.post("/futures/order.place", raw=raw, token=cast["alice"])

    assert response.status_code == 200, response.content
    assert Order.objects.get().quantity == Decimal("0.01")
    assert response.json()["order"]["quantity"] == "0.01"


def test_record_pnl_stores_exactly_what_it_echoes(api, cast):
    body = {"symbol": "ETHUSDT", "amount": "-0.00000001", "reference": "desk-fix-1"}

    response = api.post("/futures/risk/record-pnl", body, token=cast["olga"])

    assert response.status_code == 200, response.content
    entry = PnLEntry.objects.get()
    entry.refresh_from_db()
    assert entry.amount == Decimal("-0.00000001")
    assert response.json()["entry"]["amount"] == "-0.00000001"
    audit = AuditEntry.objects.get(action="risk.pnl.record", outcome="ok")
    assert audit.payload["amount"] == "-0.00000001"
    assert audit.payload["sourceRef"] == entry.source_ref == "manual:desk-fix-1"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("symbol", "ethusdt"),
        ("symbol", " ETHUSDT"),
        ("symbol", "ETH"),
        ("symbol", "ETH/USDT"),
        ("symbol", "\u0661\u0662\u0663\u0664\u0665"),
        ("symbol", "A" * 21),
        ("amount", "0"),
        ("amount", "-0"),
        ("amount", "1000000000.00000001"),
        ("amount", "-1000000001"),
        ("reference", ""),
        ("reference", " desk-7"),
        ("reference", "desk-7\n"),
        ("reference", "desk\x00-7"),
        ("reference", "desk\u202e7-"),
        ("reference", "r" * 101),
    ],
)
def test_record_pnl_refuses_strange_symbols_amounts_and_references(api, cast, field, value):
    response = api.post("/futures/risk/record-pnl", {**PNL, field: value}, token=cast["olga"])

    _assert_refused(response, field)
    assert PnLEntry.objects.count() == 0


def test_a_viewer_still_gets_403_for_a_well_formed_pnl(api, bob, token_for):
    response = api.post("/futures/risk/record-pnl", PNL, token=token_for(bob))

    assert response.status_code == 403
    assert PnLEntry.objects.count() == 0


# Every JSON value but the boolean false (0.0 == False in Python: compare by identity).
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["false", "False", "0", "no", "off", "n", "f", "", " false"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
).filter(lambda value: value is not False)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=JSON_VALUES)
def test_no_json_value_but_false_makes_an_order_live(api, exchange, cast, value):
    before = exchange.control.state()["counters"].get("orders", 0)
    live_before = Order.objects.filter(dry_run=False).count()

    response = api.post("/futures/order.place", _order(dryRun=value), token=cast["alice"])

    if value is True:
        assert response.status_code == 200, response.content
    else:
        _assert_refused(response, "dryRun")
    assert exchange.control.state()["counters"].get("orders", 0) == before
    assert Order.objects.filter(dry_run=False).count() == live_before


@pytest.mark.parametrize("order_id", [2**63, 10**30])
def test_an_order_id_beyond_int64_is_refused_before_the_exchange(api, exchange, cast, order_id):
    before = exchange.control.state()["counters"].get("requests", 0)

    response = api.post(
        "/futures/order.cancel", {"symbol": "ETHUSDT", "orderId": order_id}, token=cast["alice"]
    )

    _assert_refused(response, "orderId")
    assert exchange.control.state()["counters"].get("requests", 0) == before


@pytest.mark.parametrize("cash", ["1e400", "nan", "inf", "-5", "1_000"])
def test_the_backtest_form_bounds_cash_as_the_api_does(client, alice, sim_settings, cash):
    from strategies.documents import ema_cross
    from tests.conftest import PASSWORD
    from tests.strategies.conftest import grant

    grant(alice, "strategies.run_backtest")
    client.login(username="alice", password=PASSWORD)
    form = {"document": json.dumps(ema_cross(5, 20)), "days": 10, "initial_cash": cash}

    response = client.post("/strategy-lab/backtests", form, follow=True)

    assert response.status_code == 200
    assert "initial_cash" in response.content.decode()
    assert BacktestRun.objects.count() == 0


def test_every_copilot_action_body_passes_the_strict_schemas():
    """The copilot turns sentences into bodies: they must carry real booleans and decimal text."""
    from canary.schemas import ConfirmIn, RunIn
    from copilot.parser import COMMANDS, interpret
    from futures.schemas import OrderIn
    from risk.schemas import PnLIn
    from spark_site.money import json_loads
    from tests.copilot.eval_set import CASES

    schemas = {
        "/futures/order.place": OrderIn,
        "/canary/run": RunIn,
        "/canary/confirm": ConfirmIn,
        "/futures/risk/record-pnl": PnLIn,
    }
    prompts = [(p, c) for p, _, _, c in CASES]
    prompts += [(example, None) for c in COMMANDS for example in c.examples]
    checked = 0
    for prompt, context in prompts:
        action = interpret(prompt, context)["action"]
        schema = schemas.get(action["path"])
        if schema is None or action["body"] is None:
            continue
        body = json_loads(json.dumps(action["body"]))  # as the API's parser reads it
        parsed = schema.model_validate(body)
        if action["path"] == "/futures/order.place":
            assert type(action["body"].get("dryRun")) is bool, prompt
            assert parsed.dryRun is action["body"]["dryRun"], prompt
        checked += 1
    assert checked >= 10
