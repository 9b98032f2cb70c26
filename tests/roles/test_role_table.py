"""Every mutating endpoint × {anonymous, viewer, trader, operator}, through real HTTP.

Anonymous gets 401, a role below the endpoint's gets 403 naming the permission; every refusal
is audited and changes nothing (database rows, the exchange's orders). A role at or above the
endpoint's passes the permission check (its answer may still be a 404/409/422 for this body).
"""

from __future__ import annotations

import pytest
import requests
from django.apps import apps

from audit.models import AuditEntry
from tests.support.servers import DaphneServer

pytestmark = [pytest.mark.django_db(transaction=True)]

ANON, VIEWER, TRADER, OPERATOR = "anonymous", "viewer", "trader", "operator"
RANK = {ANON: 0, VIEWER: 1, TRADER: 2, OPERATOR: 3}
MISSING = 999_999

DOCUMENT_PROMPT = "ETH 1 saatlik EMA kesişimi trend takip stratejisi"

# (path, minimum role, body); {strategy} is replaced by a real strategy id.
TABLE = [
    (
        "/futures/order.place",
        TRADER,
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    ),
    (
        "/futures/order.batch",
        TRADER,
        {"orders": [{"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}]},
    ),
    ("/futures/order.cancel", TRADER, {"symbol": "ETHUSDT", "clientOrderId": "no-such-order"}),
    ("/futures/order.cancelAll", TRADER, {"symbol": "ETHUSDT"}),
    ("/futures/leverage", TRADER, {"symbol": "ETHUSDT", "leverage": 5}),
    ("/futures/marginType", TRADER, {"symbol": "ETHUSDT", "marginType": "ISOLATED"}),
    ("/futures/position.close", TRADER, {"symbol": "ETHUSDT"}),
    (
        "/futures/order.preview",
        TRADER,
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    ),
    ("/futures/position.protect", TRADER, {"symbol": "ETHUSDT", "stopLoss": "3000"}),
    ("/futures/order.trailing", TRADER, {"symbol": "ETHUSDT", "callbackRate": "1"}),
    (
        "/futures/order.modify",
        TRADER,
        {"symbol": "ETHUSDT", "clientOrderId": "no-such-order", "price": "3000"},
    ),
    ("/futures/positionMargin", TRADER, {"symbol": "ETHUSDT", "amount": "5", "type": "ADD"}),
    ("/futures/ws.start", TRADER, {"symbols": ["ETHUSDT"]}),
    ("/futures/ws.stop", TRADER, {}),
    ("/futures/risk/circuit-breaker/open", OPERATOR, {"reason": "table test"}),
    ("/futures/risk/circuit-breaker/close", OPERATOR, {"reason": "table test"}),
    (
        "/futures/risk/record-pnl",
        OPERATOR,
        {"symbol": "ETHUSDT", "amount": "-1.5", "reference": "table-test"},
    ),
    ("/futures/ledger/sync", OPERATOR, {}),
    ("/canary/run", TRADER, {}),
    ("/canary/confirm", TRADER, {"runId": MISSING}),
    ("/ai/chat", VIEWER, {"prompt": "pozisyonlarım"}),
    ("/ai/generate-strategy", VIEWER, {"prompt": DOCUMENT_PROMPT}),
    ("/ai/drafts", TRADER, {"name": "d", "document": "DOC"}),
    ("/api/tokens", OPERATOR, {"username": "newcomer", "role": "viewer"}),
    ("/api/tokens/revoke", OPERATOR, {"prefix": "spk_nothing"}),
    ("/strategies/backtests", TRADER, {"document": "DOC", "days": 3}),
    ("/strategies/klines/fetch", TRADER, {"symbol": "ETHUSDT", "interval": "1h", "days": 1}),
    ("/strategies/strategies", TRADER, {"name": "table", "document": "DOC"}),
    ("/strategies/strategies/{strategy}/approve", OPERATOR, {"note": "ok"}),
    ("/strategies/proposals", TRADER, {"strategy_id": "{strategy}", "document": "DOC"}),
    (f"/strategies/proposals/{MISSING}/approve", OPERATOR, {"note": "ok"}),
    (f"/strategies/proposals/{MISSING}/reject", OPERATOR, {"note": "no"}),
    (
        "/strategies/optimizations",
        TRADER,
        {"document": "DOC", "space": {"fast.period": [5]}, "splits": 1, "days": 3},
    ),
    (f"/strategies/optimizations/{MISSING}/cancel", TRADER, {}),
    ("/strategies/runners", TRADER, {"strategy_id": "{strategy}"}),
    (f"/strategies/runners/{MISSING}/stop", TRADER, {}),
]


@pytest.fixture
def server(sim, transactional_db):
    server = DaphneServer({**sim.spark_env(), "SPARK_STREAMS_EMBEDDED": "true"}).start()
    yield server
    server.stop()


def fingerprint(sim) -> dict:
    """Row counts of every model but the audit log, plus the exchange's orders."""
    counts = {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"futures", "risk", "canary", "copilot", "strategies", "accounts"}
    }
    counts["audit.ok"] = AuditEntry.objects.exclude(outcome="denied").count()
    from risk.models import CircuitBreaker

    counts["breaker"] = [(b.state, b.opened_reason) for b in CircuitBreaker.objects.all()]
    state = sim.control.state()
    counts["exchange"] = str(state.get("accounts", state))[:100000]
    return counts


def fill(value, strategy_id, document):
    if value == "DOC":
        return document
    if value == "{strategy}":
        return strategy_id
    if isinstance(value, dict):
        return {k: fill(v, strategy_id, document) for k, v in value.items()}
    return value


def test_every_mutating_endpoint_follows_the_role_table(server, sim, alice, bob, olga, token_for):
    tokens = {
        ANON: None,
        VIEWER: token_for(bob),
        TRADER: token_for(alice),
        OPERATOR: token_for(olga),
    }

    def post(path, body, role):
        headers = {"Authorization": f"Bearer {tokens[role]}"} if tokens[role] else {}
        return requests.post(server.url + path, json=body, headers=headers, timeout=60)

    schema = requests.get(server.url + "/api/openapi.json", timeout=10).json()
    # Alertmanager's and Telegram's receivers take their own secret, no user role (refusals are
    # tested in tests/notifications/test_alertmanager.py, test_webhook_mode.py and
    # tests/adversarial/test_permission_first.py).
    machine = {"/notifications/alertmanager", "/notifications/telegram/webhook"}
    mutating = {
        p for p, ops in schema["paths"].items() for m in ops if m != "get" and p not in machine
    }
    covered = {
        path.replace("{strategy}", "{strategy_id}").replace(str(MISSING), "{x}")
        for path, _, _ in TABLE
    }
    normalized = {
        p.replace("{proposal_id}", "{x}").replace("{opt_id}", "{x}").replace("{runner_id}", "{x}")
        for p in mutating
    }
    assert normalized == covered, "the table must list every mutating endpoint"

    document = post("/ai/generate-strategy", {"prompt": DOCUMENT_PROMPT}, OPERATOR).json()
    document = document.get("document") or document.get("strategy") or document
    created = post("/strategies/strategies", {"name": "seed", "document": document}, TRADER)
    assert created.status_code == 201, created.text
    strategy_id = created.json()["id"]

    failures = []
    for path_template, minimum, body_template in TABLE:
        path = path_template.replace("{strategy}", str(strategy_id))
        body = fill(body_template, strategy_id, document)
        for role in (ANON, VIEWER, TRADER, OPERATOR):
            allowed = RANK[role] >= RANK[minimum]
            before = None if allowed else fingerprint(sim)
            denied_before = AuditEntry.objects.filter(outcome="denied").count()
            response = post(path, body, role)
            status = response.status_code
            where = f"{role} POST {path}: {status} {response.text[:200]}"
            if status >= 500:
                failures.append("5xx " + where)
            elif allowed and status in (401, 403):
                failures.append("refused but allowed: " + where)
            elif not allowed:
                expected = 401 if role == ANON else 403
                if status != expected:
                    failures.append(f"expected {expected}: " + where)
                    continue
                error = response.json()["error"]
                if role != ANON and not error["details"].get("permission"):
                    failures.append("403 without the permission named: " + where)
                if AuditEntry.objects.filter(outcome="denied").count() != denied_before + 1:
                    failures.append("refusal not audited: " + where)
                if fingerprint(sim) != before:
                    failures.append("refusal changed state: " + where)
    assert not failures, "\n".join(failures)
