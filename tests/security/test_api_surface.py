"""Every mutating API operation, read from the served OpenAPI schema, refuses what it must.

Anonymous callers get 401, session posts without CSRF 403, users without the role 403,
oversized bodies 413; each in the JSON error shape and without changing any state.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from audit.models import AuditEntry
from tests.security.schema_ops import mutating_operations, operations_with_body
from tests.security.state import diff, fingerprint

pytestmark = pytest.mark.django_db

MUTATING = mutating_operations()

# Valid bodies of the operator-only actions: refused for the trader by permission, not shape.
OPERATOR_ONLY = {
    "/futures/risk/circuit-breaker/open": {"reason": "test"},
    "/futures/risk/circuit-breaker/close": {"reason": "test"},
    "/futures/risk/record-pnl": {"symbol": "BTCUSDT", "amount": "-5", "reference": "sec-1"},
    "/api/tokens": {"username": "eve", "role": "operator"},
    "/api/tokens/revoke": {"prefix": "abcdef"},
}
# Valid bodies of trader actions (a user without a role must be refused them by permission).
TRADER = {
    "/futures/order.place": {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"},
    "/futures/order.cancel": {"symbol": "BTCUSDT", "clientOrderId": "x1"},
    "/futures/order.cancelAll": {"symbol": "BTCUSDT"},
    "/futures/leverage": {"symbol": "BTCUSDT", "leverage": 5},
    "/futures/marginType": {"symbol": "BTCUSDT", "marginType": "ISOLATED"},
    "/futures/ws.start": {"symbols": ["BTCUSDT"]},
    "/futures/ws.stop": {},
    "/canary/run": {},
    "/canary/confirm": {"runId": 1},
    "/ai/drafts": {"name": "x", "document": {}},
}
# Machine-to-machine receivers that take only their own secret: a logged-in session or a user's
# token is no credential there, so a session post is 401 (not a CSRF 403), without any change.
BEARER_ONLY = {
    "/notifications/alertmanager": "Alertmanager's webhook receiver",
    "/notifications/telegram/webhook": "Telegram's webhook receiver (secret header)",
}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error = json.loads(response.content)["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_the_schema_lists_the_mutating_operations():
    # The lists below are derived from the schema: make sure it really is the full API.
    paths = {p for _, p in MUTATING}
    assert {"/futures/order.place", "/futures/risk/record-pnl", "/api/tokens"} <= paths
    assert len(MUTATING) >= 20


@pytest.mark.parametrize(("method", "path"), MUTATING)
def test_every_mutating_operation_refuses_an_anonymous_caller_with_401(method, path):
    # CSRF enforced as on a real server (the test client skips it by default, which once hid
    # an anonymous POST being answered 403 CSRF_FAILED instead of 401).
    client = Client(enforce_csrf_checks=True)
    before = fingerprint()
    response = client.generic(
        method, path, json.dumps(TRADER.get(path, OPERATOR_ONLY.get(path, {}))), "application/json"
    )
    assert_error(response, 401, "NOT_AUTHENTICATED")
    assert diff(before, fingerprint()) == {}


@pytest.mark.parametrize(("method", "path"), MUTATING)
def test_every_mutating_operation_refuses_a_session_post_without_csrf(method, path, olga):
    client = Client(enforce_csrf_checks=True)
    client.force_login(olga)
    client.get("/")  # the CSRF cookie is set, but the header is not sent
    before = fingerprint()
    body = json.dumps(TRADER.get(path, OPERATOR_ONLY.get(path, {})))
    response = client.generic(method, path, body, "application/json")
    if path in BEARER_ONLY:
        assert_error(response, 401, "NOT_AUTHENTICATED")
    else:
        assert_error(response, 403, "CSRF_FAILED")
    assert diff(before, fingerprint()) == {}


def test_the_same_session_post_with_the_csrf_token_is_accepted(olga):
    # The control of the test above: it is the missing token, not the session, that was refused.
    client = Client(enforce_csrf_checks=True)
    client.force_login(olga)
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/futures/risk/circuit-breaker/open",
        json.dumps({"reason": "csrf control"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("path", sorted(OPERATOR_ONLY))
def test_operator_only_actions_refuse_a_trader_with_403_and_audit_it(path, api, alice, token_for):
    token = token_for(alice)
    before = fingerprint()
    response = api.post(path, OPERATOR_ONLY[path], token=token)
    error = assert_error(response, 403, "PERMISSION_DENIED")
    assert error["details"]["permission"]
    assert diff(before, fingerprint()) == {}
    assert AuditEntry.objects.filter(actor=alice, outcome="denied").exists()


@pytest.mark.parametrize(("method", "path"), MUTATING)
def test_a_user_without_a_role_changes_nothing_through_any_mutating_operation(
    method, path, api, mallory, token_for
):
    token = token_for(mallory)
    before = fingerprint()
    body = TRADER.get(path, OPERATOR_ONLY.get(path))
    response = api.client.generic(
        method,
        path,
        json.dumps(body or {}),
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    if path in BEARER_ONLY:
        assert_error(response, 401, "NOT_AUTHENTICATED")  # a user token is no credential there
    elif body is not None:
        # A valid request: the permission, not the shape, refuses it.
        assert_error(response, 403, "PERMISSION_DENIED")
    else:
        assert response.status_code in (403, 404, 422), (path, response.content[:300])
        assert_error(response, response.status_code)
    assert diff(before, fingerprint()) == {}


BODY_OPS = operations_with_body()


@pytest.mark.parametrize(("method", "path"), BODY_OPS)
def test_every_operation_with_a_body_refuses_an_oversized_one_with_413(
    method, path, api, olga, token_for, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    token = token_for(olga)
    if path in BEARER_ONLY:
        settings.SPARK_ALERTMANAGER_TOKEN = token = "alertmanager-" + "k" * 20
        settings.TELEGRAM_WEBHOOK_URL = "https://spark.example" + path
        settings.TELEGRAM_WEBHOOK_SECRET = token
    before = fingerprint()
    body = {**(TRADER.get(path) or OPERATOR_ONLY.get(path) or {}), "padding": "x" * 10_000}
    response = api.client.generic(
        method,
        path,
        json.dumps(body),
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=token,
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert diff(before, fingerprint()) == {}
