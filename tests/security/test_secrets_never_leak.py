"""After a full flow on real Daphne (live orders, cancels, rejections, a -1022 from a misconfigured
secret, a canary run and confirm, the portfolio), no exchange key or secret, bearer token or
Django secret appears in any log line, /metrics, audit entry, canary evidence, stored order
answer or API response. Also: cross-origin browser sockets are refused over a real server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import BTCTURK_SECRET, PASSWORD
from tests.support.servers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_SECRET = "wrong-secret-d3adbeefd3adbeefd3adbeef"


def _http(token: str | None = None) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    if token:
        http.headers["Authorization"] = f"Bearer {token}"
    return http


def _login(server, username: str) -> requests.Session:
    """A browser session through the real login form (CSRF cookie and field)."""
    http = _http()
    page = http.get(server.url + "/login/", timeout=10)
    csrf = http.cookies["csrftoken"]
    assert "csrfmiddlewaretoken" in page.text
    r = http.post(
        server.url + "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": server.url + "/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text[:500]
    assert "sessionid" in http.cookies
    return http


def test_no_secret_reaches_logs_metrics_audit_evidence_or_answers(
    sim, daphne, alice, olga, token_for, tmp_path
):
    from audit.models import AuditEntry
    from canary.models import CanaryRun
    from futures.models import Order

    sim.control.set_price("ETHUSDT", "3400")
    env = {**sim.spark_env(), "SPARK_LOG_LEVEL": "DEBUG"}
    good = daphne(**env)
    bad = daphne(**{**env, "BINANCE_API_SECRET": WRONG_SECRET})
    trader_token, operator_token = token_for(alice), token_for(olga)
    trader, operator = _http(trader_token), _http(operator_token)
    answers: list[str] = []

    def call(http, method, server, path, body=None, ok=None):
        r = http.request(method, server.url + path, json=body, timeout=30)
        answers.append(f"{method} {path} {r.status_code} {r.headers} {r.text}")
        if ok is not None:
            assert r.status_code == ok, (path, r.status_code, r.text[:500])
        return r

    order = {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01", "dryRun": False}
    call(trader, "POST", good, "/futures/order.place", {**order, "type": "MARKET"}, ok=200)
    call(
        trader,
        "POST",
        good,
        "/futures/order.place",
        {**order, "type": "LIMIT", "price": "3000", "timeInForce": "GTC", "clientOrderId": "s-1"},
        ok=200,
    )
    cancel = "/futures/order.cancel"
    call(trader, "POST", good, cancel, {"symbol": "ETHUSDT", "clientOrderId": "s-1"}, ok=200)
    market = {**order, "type": "MARKET"}
    call(trader, "POST", good, "/futures/order.place", {**market, "dryRun": True}, ok=200)
    # rejections: a filter (off the step grid), the risk gate (huge notional), a missing order
    call(trader, "POST", good, "/futures/order.place", {**market, "quantity": "0.0001"})
    call(trader, "POST", good, "/futures/order.place", {**market, "quantity": "900"})
    call(trader, "POST", good, cancel, {"symbol": "ETHUSDT", "clientOrderId": "nope"})
    call(trader, "GET", good, "/futures/account", ok=200)
    call(trader, "GET", good, "/api/portfolio")
    call(_http(), "POST", good, "/futures/order.place", {**order, "type": "MARKET"}, ok=401)
    # -1022: the server's secret is wrong, the exchange refuses the signature
    refused = call(trader, "POST", bad, "/futures/order.place", {**order, "type": "MARKET"})
    assert refused.status_code >= 400, refused.text
    assert "1022" in refused.text or "signature" in refused.text.lower(), refused.text
    call(trader, "GET", bad, "/futures/account")
    call(trader, "POST", bad, "/futures/leverage", {"symbol": "ETHUSDT", "leverage": 3})
    # the canary runs only on a flat account: close the 0.01 ETH the first order bought
    flat = {**market, "side": "SELL", "reduceOnly": True}
    call(trader, "POST", good, "/futures/order.place", flat, ok=200)
    # the canary: run, confirm on the stand-in, evidence
    run = call(trader, "POST", good, "/canary/run", {}, ok=200).json()["run"]
    call(trader, "POST", good, "/canary/confirm", {"runId": run["id"]}, ok=200)
    call(trader, "GET", good, f"/canary/runs/{run['id']}/evidence", ok=200)
    call(operator, "POST", good, "/futures/risk/circuit-breaker/open", {"reason": "drill"}, ok=200)
    call(operator, "POST", good, "/futures/risk/circuit-breaker/close", {"reason": "drill"}, ok=200)
    # reconciliation in its own process, as cron would run it
    done = subprocess.run(
        [sys.executable, "manage.py", "reconcile_orders"],
        cwd=ROOT,
        env={**os.environ, **good.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    metrics = requests.get(good.url + "/metrics", timeout=10).text
    metrics += requests.get(bad.url + "/metrics", timeout=10).text
    good.stop()
    bad.stop()
    places = {
        "daphne log (good secret)": good.output(),
        "daphne log (wrong secret)": bad.output(),
        "reconcile_orders output": done.stdout + done.stderr,
        "/metrics": metrics,
        "API answers": "\n".join(answers),
        "audit entries": json.dumps(
            list(AuditEntry.objects.values("action", "target", "payload")), default=str
        ),
        "canary runs": json.dumps(
            [
                {f.name: getattr(r, f.name) for f in CanaryRun._meta.fields}
                for r in CanaryRun.objects.all()
            ],
            default=str,
        ),
        "stored orders": json.dumps(
            list(Order.objects.values("raw_response", "error", "risk_decision")), default=str
        ),
    }
    assert "DEBUG" in places["daphne log (good secret)"]  # the logs really were verbose
    assert CanaryRun.objects.exists() and AuditEntry.objects.count() > 10
    secrets = {
        "exchange API key": sim.api_key,
        "exchange API secret": sim.api_secret,
        "misconfigured secret": WRONG_SECRET,
        "BTCTurk secret": BTCTURK_SECRET,
        "trader bearer token": trader_token,
        "operator bearer token": operator_token,
        "Django SECRET_KEY": good.env["SPARK_SECRET_KEY"],
    }
    leaks = [
        f"{secret} in {place}"
        for secret, value in secrets.items()
        for place, text in places.items()
        if value and value in text
    ]
    print(
        "\nSECRETS SCAN: "
        + ", ".join(f"{place} {len(text):,} chars" for place, text in places.items())
        + f"; {len(secrets)} secrets; leaks {len(leaks)}"
    )
    assert leaks == [], leaks


def test_a_cross_origin_browser_socket_is_refused_by_a_real_server(daphne, bob):
    server = daphne()
    http = _login(server, "bob")
    cookie = f"sessionid={http.cookies['sessionid']}"
    with connect(
        server.ws_url + "/ws/live/?topics=orders",
        additional_headers={"Cookie": cookie, "Origin": server.url},
        open_timeout=10,
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] in ("snapshot", "subscribed")
    for origin in ("http://evil.example", "https://127.0.0.1.evil.example", "null"):
        with pytest.raises(InvalidStatus) as refused:
            connect(
                server.ws_url + "/ws/live/",
                additional_headers={"Cookie": cookie, "Origin": origin},
                open_timeout=10,
            )
        assert refused.value.response.status_code == 403, origin
    # and no session at all, same origin
    with pytest.raises(InvalidStatus) as refused:
        connect(
            server.ws_url + "/ws/live/", additional_headers={"Origin": server.url}, open_timeout=10
        )
    assert refused.value.response.status_code == 403


def test_login_attempts_are_rate_limited_on_a_real_server(daphne, alice):
    server = daphne(SPARK_LOGIN_ATTEMPTS_PER_MINUTE="3")
    http = _http()
    http.get(server.url + "/login/", timeout=10)
    csrf = http.cookies["csrftoken"]

    def attempt(password: str) -> int:
        return http.post(
            server.url + "/login/",
            data={"username": "alice", "password": password, "csrfmiddlewaretoken": csrf},
            allow_redirects=False,
            timeout=10,
        ).status_code

    assert [attempt("wrong") for _ in range(3)] == [200, 200, 200]
    assert attempt(PASSWORD) == 429  # blocked: even the right password
    assert "sessionid" not in http.cookies
