"""The risk API: status, breaker open/close and record-pnl, with the permission table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from risk import providers
from risk.models import CircuitBreaker, PnLEntry, RiskLimits

pytestmark = pytest.mark.django_db

WRITES = [
    ("/futures/risk/circuit-breaker/close", {"reason": "reviewed"}, "risk.breaker.close"),
    ("/futures/risk/circuit-breaker/open", {"reason": "incident"}, "risk.breaker.open"),
    (
        "/futures/risk/record-pnl",
        {"symbol": "ETHUSDT", "amount": "-60", "reference": "r1"},
        "risk.pnl.record",
    ),
]


def _open():
    breaker = CircuitBreaker.load()
    breaker.state, breaker.opened_reason = "open", "test"
    breaker.save()


@pytest.mark.parametrize(("path", "body", "action"), WRITES, ids=["close", "open", "pnl"])
def test_anonymous_writes_are_401_and_change_nothing(api, path, body, action):
    _open() if "close" in path else None
    before = CircuitBreaker.load().state
    response = api.post(path, body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert CircuitBreaker.load().state == before and PnLEntry.objects.count() == 0


@pytest.mark.parametrize(("path", "body", "action"), WRITES, ids=["close", "open", "pnl"])
@pytest.mark.parametrize("who", ["bob", "alice", "mallory"])
def test_non_operators_get_403_audited_and_nothing_changes(
    api, token_for, request, who, path, body, action
):
    user = request.getfixturevalue(who)
    if "close" in path:
        _open()
    before = CircuitBreaker.load().state
    response = api.post(path, body, token=token_for(user))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert CircuitBreaker.load().state == before and PnLEntry.objects.count() == 0
    denied = AuditEntry.objects.get(action=action, outcome="denied")
    assert denied.actor_name == who


def test_operator_closes_the_breaker_with_a_reason(api, olga, token_for):
    _open()
    response = api.post(
        "/futures/risk/circuit-breaker/close", {"reason": "reviewed"}, token=token_for(olga)
    )
    assert response.status_code == 200
    body = response.json()["circuitBreaker"]
    assert body["state"] == "closed" and body["closedBy"] == "olga"
    assert body["closeReason"] == "reviewed"


def test_close_without_reason_is_422(api, olga, token_for):
    _open()
    for body in ({}, {"reason": "  "}):
        response = api.post("/futures/risk/circuit-breaker/close", body, token=token_for(olga))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert CircuitBreaker.load().state == "open"


def test_operator_opens_the_breaker(api, olga, token_for):
    response = api.post(
        "/futures/risk/circuit-breaker/open", {"reason": "incident"}, token=token_for(olga)
    )
    assert response.status_code == 200 and response.json()["circuitBreaker"]["state"] == "open"
    again = api.post(
        "/futures/risk/circuit-breaker/open", {"reason": "incident"}, token=token_for(olga)
    )
    assert again.status_code == 409


def test_record_pnl_books_once_and_opens_the_breaker(api, olga, token_for):
    token = token_for(olga)
    body = {"symbol": "ETHUSDT", "amount": "-60.5", "reference": "desk-7"}
    first = api.post("/futures/risk/record-pnl", body, token=token)
    second = api.post("/futures/risk/record-pnl", body, token=token)
    assert first.status_code == 200 and first.json()["created"] is True
    assert second.status_code == 200 and second.json()["created"] is False
    entry = PnLEntry.objects.get()
    assert (entry.symbol, entry.amount, entry.source) == ("ETHUSDT", Decimal("-60.5"), "manual")
    assert first.json()["circuitBreaker"]["state"] == "open"


def test_record_pnl_validates_the_amount(api, olga, token_for):
    response = api.post(
        "/futures/risk/record-pnl",
        {"symbol": "ETHUSDT", "amount": "lots", "reference": "x"},
        token=token_for(olga),
    )
    assert response.status_code == 422 and PnLEntry.objects.count() == 0


def test_status_shows_limits_budget_and_breaker_without_providers(api):
    body = api.get("/futures/risk/status").json()
    assert body["limits"]["maxNotionalUsd"] == "100"
    assert body["limits"]["dailyLossLimitUsd"] == "50"
    assert body["limits"]["symbolPositionLimits"] == {"BTCUSDT": "0.1"}
    assert body["today"]["pnl"] == "0" and body["today"]["remainingLossBudget"] == "50"
    assert body["circuitBreaker"]["state"] == "closed"
    assert body["positions"] is None and body["positionsAvailable"] is False
    assert body["conflicts"] == []


def test_status_shows_position_use_and_the_btc_min_notional_conflict(api, bob, token_for):
    providers.register_position_provider(
        lambda: [
            providers.Position("BTCUSDT", Decimal("0.05"), Decimal("60000")),
            providers.Position("ETHUSDT", Decimal("-0.1"), Decimal("2500")),
        ]
    )
    providers.register_filters_provider(
        lambda s: {"minNotional": "100" if s == "BTCUSDT" else "20", "minQty": "0.001"}
    )
    body = api.get("/futures/risk/status", token=token_for(bob)).json()
    use = {row["symbol"]: row for row in body["positions"]}
    assert use["BTCUSDT"]["usePct"] == "50" and use["BTCUSDT"]["unit"] == "contracts"
    assert use["ETHUSDT"]["value"] == "250" and use["ETHUSDT"]["usePct"] == "50"
    assert [(c["symbol"], c["limit"], c["filter"]) for c in body["conflicts"]] == [
        ("BTCUSDT", "max_notional_usd", "MIN_NOTIONAL")
    ]


def test_status_survives_a_broken_provider(api):
    def broken():
        raise ConnectionError("exchange down")

    providers.register_position_provider(broken)
    response = api.get("/futures/risk/status")
    assert response.status_code == 200 and response.json()["positionsAvailable"] is False


def test_status_reads_need_viewer_role_when_reads_are_private(api, settings, mallory, token_for):
    settings.SPARK_PUBLIC_READS = False
    assert api.get("/futures/risk/status").status_code == 401
    assert api.get("/futures/risk/status", token=token_for(mallory)).status_code == 403


def test_admin_limit_changes_are_audited_with_old_and_new_values(client, olga):
    limits = RiskLimits.load()
    client.force_login(olga)
    url = f"/admin/risk/risklimits/{limits.pk}/change/"
    assert client.get(url).status_code == 200
    symbol_row = limits.symbol_limits.get()
    response = client.post(
        url,
        {
            "max_notional_usd": "150",
            "default_max_position_usd": "500",
            "daily_loss_limit_usd": "50",
            "trading_day_timezone": "UTC",
            "trading_day_start_hour": "0",
            "symbol_limits-TOTAL_FORMS": "2",
            "symbol_limits-INITIAL_FORMS": "1",
            "symbol_limits-MIN_NUM_FORMS": "0",
            "symbol_limits-MAX_NUM_FORMS": "1000",
            "symbol_limits-0-id": str(symbol_row.pk),
            "symbol_limits-0-limits": str(limits.pk),
            "symbol_limits-0-symbol": "BTCUSDT",
            "symbol_limits-0-max_position_qty": "0.2",
            "symbol_limits-1-limits": str(limits.pk),
            "symbol_limits-1-symbol": "",
            "symbol_limits-1-max_position_qty": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    limits.refresh_from_db()
    assert limits.max_notional_usd == Decimal("150")
    entry = AuditEntry.objects.get(action="risk.limits.change")
    assert entry.actor_name == "olga"
    assert entry.payload["old"]["maxNotionalUsd"] == "100"
    assert entry.payload["new"]["maxNotionalUsd"] == "150"
    assert entry.payload["old"]["symbolPositionLimits"] == {"BTCUSDT": "0.1"}
    assert entry.payload["new"]["symbolPositionLimits"] == {"BTCUSDT": "0.2"}
    assert entry.payload["changed"] == ["maxNotionalUsd", "symbolPositionLimits"]


def test_traders_cannot_edit_limits_in_admin(client, alice):
    client.force_login(alice)
    response = client.get("/admin/risk/risklimits/")
    assert response.status_code == 302
