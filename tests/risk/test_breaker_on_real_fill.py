"""End to end: a losing fill on the stand-in, seen by the user stream, opens the breaker.

Spark runs under real Daphne with the embedded stream supervisor, trading on the stand-in.
Orders go through POST /futures/order.place; the realized loss reaches the risk ledger only
through the exchange's ORDER_TRADE_UPDATE on the user stream (order_sync_from_exchange ->
pnl_record). Then: new orders are refused, a reduce-only close passes, and trading resumes only
after an operator closes the breaker.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from audit.models import AuditEntry
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from tests.support.waiting import poll

pytestmark = [pytest.mark.timeout(120), pytest.mark.django_db(transaction=True)]


def post(server, path: str, body: dict, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(server.url + path, json=body, headers=headers, timeout=30)


def place(server, token, **fields) -> requests.Response:
    body = {"symbol": "ETHUSDT", "type": "MARKET", "dryRun": False, **fields}
    return post(server, "/futures/order.place", body, token)


def streams_up(server) -> bool:
    s = requests.get(server.url + "/futures/ws.status", timeout=5).json()
    conns = s.get("connections") or []
    return bool(conns) and all(c["state"] == "up" for c in conns)


def test_a_losing_fill_from_the_user_stream_opens_the_breaker(daphne, sim, alice, olga, token_for):
    limits = RiskLimits.load()
    limits.daily_loss_limit_usd = Decimal("1")  # a 2 USD loss is enough; 50 would need size
    limits.save()
    sim.control.set_price("ETHUSDT", "3000", mark="3000")
    server = daphne(
        SPARK_STREAMS_EMBEDDED="true", SPARK_STREAM_SYMBOLS="ETHUSDT", **sim.spark_env()
    )
    poll(lambda: streams_up(server))
    trader, operator = token_for(alice), token_for(olga)

    opened = place(server, trader, side="BUY", quantity="0.03", clientOrderId="e2e-open")
    assert opened.status_code == 200, opened.text
    sim.control.set_price("ETHUSDT", "2900", mark="2900")  # -100 x 0.02 = -2 USD
    closed = place(  # closes 0.02 of 0.03 at a loss; 0.01 stays open
        server, trader, side="SELL", quantity="0.02", reduceOnly=True, clientOrderId="e2e-part"
    )
    assert closed.status_code == 200, closed.text

    # The realized loss arrives through the user stream and opens the breaker by itself.
    entry = poll(
        lambda: PnLEntry.objects.filter(source="fill", kind="realized", amount__lt=0).first()
    )
    assert entry.symbol == "ETHUSDT" and entry.amount <= Decimal("-1")
    breaker = poll(lambda: (lambda b: b if b.is_open else None)(CircuitBreaker.load()))
    assert breaker.opened_by == "system" and "limit 1 USD" in breaker.opened_reason
    status = requests.get(server.url + "/futures/risk/status", timeout=5).json()
    assert status["circuitBreaker"]["state"] == "open"
    assert Decimal(status["today"]["remainingLossBudget"]) <= 0

    # New orders are refused (dry-run too), naming the breaker.
    refused = place(server, trader, side="BUY", quantity="0.01", dryRun=True)
    assert refused.status_code == 422
    rules = [r["rule"] for r in refused.json()["error"]["details"]["rules"]]
    assert rules[0] == "circuit_breaker"

    # A reduce-only order that shrinks the remaining position still goes to the exchange.
    rest = place(
        server, trader, side="SELL", quantity="0.01", reduceOnly=True, clientOrderId="e2e-rest"
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["executed"] == "exchange"
    assert CircuitBreaker.load().is_open  # and the breaker stays open

    # Only an operator reopens trading, with a reason; the trader's attempt is refused.
    denied = post(server, "/futures/risk/circuit-breaker/close", {"reason": "x"}, trader)
    assert denied.status_code == 403
    ok = post(server, "/futures/risk/circuit-breaker/close", {"reason": "reviewed"}, operator)
    assert ok.status_code == 200, ok.text
    again = place(server, trader, side="BUY", quantity="0.01", dryRun=True)
    assert again.status_code == 200, again.text
    assert AuditEntry.objects.filter(action="risk.breaker.open", actor_name="system").exists()
    assert AuditEntry.objects.filter(
        action="risk.breaker.close", outcome="ok", actor_name="olga"
    ).exists()
