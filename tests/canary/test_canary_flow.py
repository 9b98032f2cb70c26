"""Canary: dry-run, confirm once on the stand-in only, expiry, and the evidence of each run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from canary import metrics
from canary.evidence import digest, verify
from canary.models import CanaryRun, EvidenceLink
from futures.models import Order
from risk.models import CircuitBreaker
from tests.support.stand_in import exchange_orders, exchange_position, run_canary

pytestmark = pytest.mark.django_db


def test_run_is_a_dry_run_passing_filters_and_limits_by_default(api, alice, token_for, exchange):
    run = run_canary(api, token_for(alice))
    assert run["status"] == "SIMULATED" and run["confirmable"] is True
    assert run["request"] == {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "0.008",
    }
    assert run["riskDecision"]["allowed"] is True
    fill = run["simulatedFill"]
    notional = Decimal(fill["price"]) * Decimal(fill["qty"])
    assert Decimal("20") <= notional <= Decimal("100")  # ETH MIN_NOTIONAL .. max notional
    assert Decimal(fill["fee"]) > 0 and Decimal(fill["slippageBps"]) > 0
    assert exchange_orders(exchange, "ETHUSDT") == []  # nothing reached the exchange
    stored = CanaryRun.objects.get(pk=run["id"])
    doc = stored.evidence
    assert doc["exchangeFilters"]["min_notional"] == "20"
    assert doc["settings"]["BINANCE_FUTURES_RESOLVED_ENV"] == "sim"
    assert exchange.api_secret not in str(doc) and exchange.api_key not in str(doc)
    assert digest(doc) == stored.evidence_sha256 == run["evidenceSha256"]


def test_run_then_confirm_places_exactly_one_order_and_closes_it(api, alice, token_for, exchange):
    token = token_for(alice)
    before = metrics.RUNS.labels(status="CONFIRMED")._value.get()
    latencies = metrics.CONFIRM_LATENCY_MS._sum.get()
    run = run_canary(api, token)
    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert response.status_code == 200, response.content
    confirmed = response.json()["run"]
    assert confirmed["status"] == "CONFIRMED", confirmed
    orders = exchange_orders(exchange, "ETHUSDT")
    opens = [o for o in orders if not o["reduceOnly"]]
    closes = [o for o in orders if o["reduceOnly"]]
    assert len(opens) == 1 and len(closes) == 1
    assert opens[0]["clientOrderId"] == f"canary-{run['id']}-open"
    assert str(confirmed["exchangeOrderId"]) == str(opens[0]["orderId"])
    assert exchange_position(exchange, "ETHUSDT") == 0  # no exposure left behind
    conf = confirmed["confirmation"]
    assert conf["open"]["status"] == "FILLED" and conf["close"]["reduceOnly"] is True
    assert set(conf["latencyMs"]) >= {"open", "close", "total"}
    assert Order.objects.filter(source="canary", dry_run=False).count() == 2
    assert metrics.RUNS.labels(status="CONFIRMED")._value.get() == before + 1
    assert metrics.CONFIRM_LATENCY_MS._sum.get() - latencies == pytest.approx(
        conf["latencyMs"]["open"]
    )
    stored = CanaryRun.objects.get(pk=run["id"])
    assert stored.evidence["confirmation"]["open"]["exchangeOrderId"] == opens[0]["orderId"]
    assert stored.links.count() == 2 and verify()[1] is None
    download = api.get(f"/canary/runs/{run['id']}/evidence")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Evidence-SHA256"] == stored.evidence_sha256
    assert digest(download.json()) == stored.evidence_sha256


def test_keep_position_leaves_the_position_open(api, alice, token_for, exchange):
    token = token_for(alice)
    run = run_canary(api, token)
    body = {"runId": run["id"], "keepPosition": True}
    assert api.post("/canary/confirm", body, token=token).json()["run"]["status"] == "CONFIRMED"
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.008")
    assert len(exchange_orders(exchange, "ETHUSDT")) == 1


def test_confirm_is_refused_on_production_even_when_the_request_claims_testnet(
    api, alice, token_for, exchange, settings
):
    token = token_for(alice)
    run = run_canary(api, token)
    settings.BINANCE_FUTURES_BASE_URL = "https://fapi.binance.com"
    settings.BINANCE_FUTURES_RESOLVED_ENV = "live"
    response = api.post("/canary/confirm", {"runId": run["id"], "testnet": True}, token=token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "CANARY_LIVE_REFUSED"
    denied = AuditEntry.objects.get(action="canary.confirm", outcome="denied")
    assert denied.payload["environment"] == "live"
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"
    assert exchange_orders(exchange, "ETHUSDT") == []


def test_a_resolved_env_that_disagrees_with_the_url_counts_as_live(
    api, alice, token_for, exchange, settings
):
    token = token_for(alice)
    run = run_canary(api, token)
    settings.BINANCE_FUTURES_BASE_URL = "https://fapi.binance.com"
    settings.BINANCE_FUTURES_RESOLVED_ENV = "testnet"  # a stale or hand-set value
    assert api.post("/canary/confirm", {"runId": run["id"]}, token=token).status_code == 403
    status = api.get("/canary/status").json()["policy"]
    assert status["environment"] == "live" and status["confirmAllowed"] is False


def test_double_confirm_is_refused(api, alice, token_for, exchange):
    token = token_for(alice)
    run = run_canary(api, token)
    assert api.post("/canary/confirm", {"runId": run["id"]}, token=token).status_code == 200
    again = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert again.status_code == 409 and again.json()["error"]["code"] == "CANARY_CONFLICT"
    assert len([o for o in exchange_orders(exchange, "ETHUSDT") if not o["reduceOnly"]]) == 1


def test_expired_confirm_is_refused_and_marks_the_run_expired(api, alice, token_for, exchange):
    token = token_for(alice)
    run = run_canary(api, token)
    CanaryRun.objects.filter(pk=run["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CANARY_EXPIRED"
    stored = CanaryRun.objects.get(pk=run["id"])
    assert stored.status == "EXPIRED" and stored.evidence["status"] == "EXPIRED"
    assert exchange_orders(exchange, "ETHUSDT") == []
    assert verify()[1] is None


def test_the_ttl_follows_the_setting(api, alice, token_for, exchange, settings):
    settings.SPARK_CANARY_CONFIRM_TTL_SECONDS = 30
    run = CanaryRun.objects.get(pk=run_canary(api, token_for(alice))["id"])
    assert timedelta(seconds=29) <= run.expires_at - run.created_at <= timedelta(seconds=31)


def test_a_risk_rejection_is_a_rejected_run_with_evidence(api, alice, token_for, exchange):
    breaker = CircuitBreaker.load()
    breaker.state, breaker.opened_reason = "open", "test"
    breaker.save()
    run = run_canary(api, token_for(alice))
    assert run["status"] == "REJECTED" and run["confirmable"] is False
    assert [r["rule"] for r in run["riskDecision"]["rules"]] == ["circuit_breaker"]
    stored = CanaryRun.objects.get(pk=run["id"])
    assert stored.evidence["riskDecision"]["allowed"] is False
    assert digest(stored.evidence) == stored.evidence_sha256
    refused = api.post("/canary/confirm", {"runId": run["id"]}, token=token_for(alice))
    assert refused.status_code == 409


def test_btcusdt_cannot_pass_both_min_notional_and_max_notional(api, alice, token_for, exchange):
    token = token_for(alice)
    small = run_canary(api, token, symbol="BTCUSDT", quantity="0.001")  # ~65 USD < MIN_NOTIONAL 100
    assert small["status"] == "FAILED" and small["error"]["details"]["filter"] == "MIN_NOTIONAL"
    big = run_canary(api, token, symbol="BTCUSDT", quantity="0.002")  # ~130 USD > max notional 100
    assert big["status"] == "REJECTED"
    assert [r["rule"] for r in big["riskDecision"]["rules"]] == ["max_notional"]
    # ...and the rejection names the conflict between the limit and the exchange filter.
    [conflict] = big["riskDecision"]["conflicts"]
    assert (conflict["limit"], conflict["filter"]) == ("max_notional_usd", "MIN_NOTIONAL")
    assert CanaryRun.objects.get(pk=big["id"]).evidence["status"] == "REJECTED"


def test_permissions(api, bob, mallory, token_for, exchange):
    assert api.post("/canary/run", {}).status_code == 401
    for user in (bob, mallory):
        assert api.post("/canary/run", {}, token=token_for(user)).status_code == 403
        assert api.post("/canary/confirm", {"runId": 1}, token=token_for(user)).status_code == 403
    assert CanaryRun.objects.count() == 0
    assert AuditEntry.objects.filter(action="canary.run", outcome="denied").count() == 2


def test_status_lists_runs_and_the_policy(api, alice, token_for, exchange):
    run_canary(api, token_for(alice))
    body = api.get("/canary/status").json()
    assert body["policy"]["environment"] == "sim" and body["policy"]["testnetOnly"] is True
    assert body["policy"]["confirmTtlSeconds"] == 600
    assert body["runs"][0]["evidenceUrl"].endswith("/evidence")


def test_evidence_of_an_unknown_run_is_404(api):
    assert api.get("/canary/runs/999/evidence").status_code == 404


def test_links_chain_across_runs(api, alice, token_for, exchange):
    token = token_for(alice)
    run_canary(api, token)
    run_canary(api, token)
    links = list(EvidenceLink.objects.order_by("id"))
    assert links[0].prev_hash == "0" * 64 and links[1].prev_hash == links[0].sha256
    assert links[1].document["chain"]["prevHash"] == links[0].sha256


def test_a_lost_exchange_answer_on_confirm_places_the_order_once(api, alice, token_for, exchange):
    token = token_for(alice)
    run = run_canary(api, token)
    exchange.control.faults(lose_order_responses=1)
    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert response.status_code == 200, response.content
    assert response.json()["run"]["status"] == "CONFIRMED"
    opens = [o for o in exchange_orders(exchange, "ETHUSDT") if not o["reduceOnly"]]
    assert len(opens) == 1


def test_an_exchange_failure_on_confirm_is_a_failed_run_with_evidence(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    run = run_canary(api, token)
    exchange.control.faults(error_rate=1.0)
    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    exchange.control.clear_faults()
    assert response.status_code == 200, response.content
    failed = response.json()["run"]
    assert failed["status"] == "FAILED" and failed["error"]["code"]
    stored = CanaryRun.objects.get(pk=run["id"])
    assert stored.evidence["status"] == "FAILED" and verify()[1] is None
    again = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert again.status_code == 409  # a failed run is never retried by confirm
