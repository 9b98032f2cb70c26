"""Finding 9 (permission first): a caller without the right learns nothing from a write route.

Every write route a viewer may not use (read from the served OpenAPI schema) is sent valid and
invalid bodies, for ids that exist and ids that do not, by a viewer token, a session-less
anonymous caller and a token whose role is one step too low (a trader on operator routes).
Each answer must be identical for that caller and route: 403 (401 anonymous) in the error shape,
every refusal audited `denied`, and nothing changed.
"""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEntry
from tests.security.schema_ops import mutating_operations
from tests.security.state import diff, fingerprint

pytestmark = [pytest.mark.django_db]

BODIES = [
    None,
    "{}",
    "not json at all",
    json.dumps({"note": ["x"] * 3, "symbol": "btc\nusdt", "quantity": "1e400"}),
    json.dumps([1, 2, 3]),
]
IDS = ["1", "999999999"]


# A viewer may talk to the copilot (it only parses; every action it proposes is its own route).
VIEWER_MAY = {"/ai/chat", "/ai/generate-strategy"}
# Machine receivers authenticate the sender, not a user: every user token is 401 there.
MACHINE_ROUTES = {"/notifications/alertmanager", "/notifications/telegram/webhook"}
OPERATOR_ROUTES = {
    "/strategies/proposals/1/approve": "strategies.approve_proposal",
    "/strategies/proposals/1/reject": "strategies.approve_proposal",
    "/strategies/strategies/1/approve": "strategies.approve_proposal",
    "/futures/risk/circuit-breaker/open": "risk.open_circuit_breaker",
    "/futures/risk/circuit-breaker/close": "risk.close_circuit_breaker",
    "/futures/risk/record-pnl": "risk.record_pnl",
    "/api/tokens": "accounts.manage_tokens",
    "/api/tokens/revoke": "accounts.manage_tokens",
}


def write_routes() -> list[str]:
    return sorted({p for m, p in mutating_operations() if p not in VIEWER_MAY | MACHINE_ROUTES})


def variants(path: str) -> list[str]:
    """The route for an id that may exist and one that surely does not."""
    return sorted({path.replace("/1/", f"/{i}/").rstrip("/") for i in IDS} | {path})


def send(client, path: str, body: str | None, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(path, data=body or "", content_type="application/json", **headers)


def answers(client, path: str, token: str | None) -> set[tuple[int, str]]:
    out = set()
    for concrete in variants(path):
        for body in BODIES:
            r = send(client, concrete, body, token)
            out.add((r.status_code, json.dumps(r.json()["error"], sort_keys=True)))
    return out


def test_the_write_routes_of_every_app_are_enumerated():
    routes = write_routes()
    assert set(OPERATOR_ROUTES) <= set(routes)
    for prefix in ("/strategies/", "/futures/", "/canary/", "/ai/", "/api/"):
        assert any(r.startswith(prefix) for r in routes), prefix


@pytest.mark.parametrize("path", write_routes())
def test_a_viewer_gets_the_same_audited_403_whatever_the_body_or_id(
    client, make_user, token_for, path
):
    viewer = make_user("vic", "viewer")
    token = token_for(viewer)
    before = fingerprint()
    denied = AuditEntry.objects.filter(outcome="denied").count()
    seen = answers(client, path, token)
    assert len(seen) == 1, seen
    status, error = next(iter(seen))
    assert status == 403
    assert json.loads(error)["code"] == "PERMISSION_DENIED"
    calls = len(variants(path)) * len(BODIES)
    assert AuditEntry.objects.filter(outcome="denied").count() - denied == calls
    assert diff(before, fingerprint()) == {}


def test_the_machine_receivers_are_in_the_served_schema():
    assert {p for m, p in mutating_operations()} >= MACHINE_ROUTES


@pytest.mark.parametrize("path", sorted(MACHINE_ROUTES))
@pytest.mark.parametrize("role", ["viewer", "trader", "operator"])
def test_a_user_token_of_any_role_is_not_a_machine_receivers_secret(
    client, make_user, token_for, settings, path, role
):
    settings.SPARK_ALERTMANAGER_TOKEN = "am-secret-for-the-test"
    settings.TELEGRAM_WEBHOOK_URL = "https://spark.example/notifications/telegram/webhook"
    settings.TELEGRAM_WEBHOOK_SECRET = "tg-secret-for-the-test"
    token = token_for(make_user(f"m_{role}", role))
    before = fingerprint()
    denied = AuditEntry.objects.filter(outcome="denied").count()
    seen = answers(client, path, token)
    assert len(seen) == 1, seen
    status, error = next(iter(seen))
    assert status == 401
    assert json.loads(error)["code"] == "NOT_AUTHENTICATED"
    calls = len(variants(path)) * len(BODIES)
    assert AuditEntry.objects.filter(outcome="denied").count() - denied == calls
    assert diff(before, fingerprint()) == {}


@pytest.mark.parametrize("path", write_routes() + sorted(MACHINE_ROUTES))
def test_anonymous_gets_the_same_401_whatever_the_body_or_id(client, db, path):
    before = fingerprint()
    seen = answers(client, path, None)
    assert len(seen) == 1 and next(iter(seen))[0] == 401, seen
    assert diff(before, fingerprint()) == {}


@pytest.mark.parametrize("path", sorted(OPERATOR_ROUTES))
def test_a_trader_one_role_too_low_cannot_probe_the_operator_routes(client, alice, token_for, path):
    token = token_for(alice)
    before = fingerprint()
    seen = answers(client, path, token)
    assert len(seen) == 1, seen
    status, error = next(iter(seen))
    assert status == 403 and OPERATOR_ROUTES[path] in error
    assert diff(before, fingerprint()) == {}
