"""Every futures endpoint answers, and only for the roles that may use it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from audit.models import AuditEntry
from futures import metrics
from futures.models import AccountSnapshot, PositionSnapshot

pytestmark = pytest.mark.django_db

WRITES = [
    (
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    ),
    ("/futures/order.cancel", {"symbol": "ETHUSDT", "clientOrderId": "nope-1"}),
    ("/futures/order.cancelAll", {"symbol": "ETHUSDT"}),
    ("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 5}),
    ("/futures/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"}),
]


def test_health_reports_the_exchange_and_the_environment(api, exchange):
    r = api.get("/futures/health")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "ok"
    assert body["environment"] == "sim"
    assert body["dryRunDefault"] is True
    assert isinstance(body["rateLimitRemaining"], int)


def test_health_is_503_when_the_exchange_is_down(api, exchange, settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    r = api.get("/futures/health")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "EXCHANGE_UNAVAILABLE"


def test_account_shows_balances_and_stores_a_snapshot(api, exchange):
    r = api.get("/futures/account")
    assert r.status_code == 200, r.content
    assert r.json()["walletBalance"] == "10000"
    assert AccountSnapshot.objects.get(environment="sim").wallet_balance == 10000
    assert metrics.ACCOUNT_BALANCE_USD._value.get() == 10000  # noqa: SLF001
    assert metrics.MARGIN_RATIO._value.get() == 0  # noqa: SLF001


def test_positions_lists_open_positions(api, alice, token_for, exchange):
    token = token_for(alice)
    r = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": False},
        token=token,
    )
    assert r.status_code == 200, r.content
    body = api.get("/futures/positions").json()
    assert [(p["symbol"], p["positionAmt"], p["side"]) for p in body["positions"]] == [
        ("ETHUSDT", "0.01", "LONG")
    ]
    assert PositionSnapshot.objects.get(symbol="ETHUSDT").position_amt == Decimal("0.01")
    assert metrics.POSITION_COUNT._value.get() == 1  # noqa: SLF001


def test_open_orders_and_order_lookup(api, alice, token_for, exchange):
    token = token_for(alice)
    api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "3500",
            "dryRun": False,
            "clientOrderId": "look-1",
        },
        token=token,
    )
    orders = api.get("/futures/openOrders").json()["orders"]
    assert [o["clientOrderId"] for o in orders] == ["look-1"]
    order_id = orders[0]["orderId"]
    by_id = api.get("/futures/order", orderId=order_id).json()
    assert by_id["order"]["clientOrderId"] == "look-1"
    assert api.get("/futures/order", clientOrderId="missing-1").status_code == 404
    assert api.get("/futures/order").status_code == 422


def test_leverage_and_margin_type_change_and_are_audited(api, alice, token_for, exchange):
    token = token_for(alice)
    r = api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 5}, token=token)
    assert r.status_code == 200, r.content
    assert r.json()["leverage"] == 5
    r = api.post(
        "/futures/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"}, token=token
    )
    assert r.status_code == 200 and r.json()["unchanged"] is False
    r = api.post(
        "/futures/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"}, token=token
    )
    assert r.status_code == 200 and r.json()["unchanged"] is True
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"leverage.change", "marginType.change"} <= actions
    pos = exchange.control.signed("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT").json()[0]
    assert (pos["leverage"], pos["marginType"]) == ("5", "isolated")


def test_an_out_of_range_leverage_is_a_validation_error(api, alice, token_for, exchange):
    r = api.post(
        "/futures/leverage", {"symbol": "ETHUSDT", "leverage": 500}, token=token_for(alice)
    )
    assert r.status_code == 422


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_anonymous_callers_get_401(api, exchange, path, body):
    assert api.post(path, body).status_code == 401


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_viewers_get_403_and_a_denied_audit_entry(api, bob, token_for, exchange, path, body):
    r = api.post(path, body, token=token_for(bob))
    assert r.status_code == 403, r.content
    assert r.json()["error"]["code"] == "PERMISSION_DENIED"
    assert AuditEntry.objects.filter(actor=bob, outcome="denied").exists()


def test_a_user_without_a_role_cannot_place_orders(api, mallory, token_for, exchange):
    r = api.post("/futures/order.place", WRITES[0][1], token=token_for(mallory))
    assert r.status_code == 403


@override_settings(SPARK_PUBLIC_READS=False)
@pytest.mark.parametrize(
    "path", ["/futures/health", "/futures/account", "/futures/positions", "/futures/openOrders"]
)
def test_private_reads_need_a_login(api, bob, token_for, exchange, path):
    assert api.get(path).status_code == 401
    assert api.get(path, token=token_for(bob)).status_code == 200
