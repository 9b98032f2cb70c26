"""Finding 6: only exact loopback and Binance's testnet/demo hosts are not production.

The environment is classified with the URL parser the HTTP client (requests → urllib3) uses; a URL
the parsers read differently, or one carrying userinfo, backslashes, whitespace or control
characters, is production, and the canary refuses to confirm on production.
"""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from canary.models import CanaryRun
from spark_site.exchange_env import DEMO, LIVE, SIM, TESTNET, environment_of
from tests.support.stand_in import exchange_orders, run_canary

HOSTILE = [
    "http://127.0.0.1.fapi.binance.com",
    "http://127.0.0.1.fapi.binance.com:8765",
    "https://fapi.binance.com\\@127.0.0.1",
    "https://fapi.binance.com\\@127.0.0.1:8765",
    "http://fapi.binance.com@127.0.0.1:8765",
    "http://user:pw@127.0.0.1:8765",
    "http://127.0.0.1@fapi.binance.com",
    "http://localhost.fapi.binance.com",
    "http://127.0.0.1 .fapi.binance.com",
    "http://127.0.0.1\t:8765",
    "http://127.0.0.1\n:8765",
    "http://127.0.0.1\x00.fapi.binance.com",
    " http://127.0.0.1:8765",
    "http://127.1",
    "http://0x7f.0.0.1",
    "http://2130706433",
    "http://[::ffff:127.0.0.1]@fapi.binance.com",
    "http://testnet.binancefuture.com.evil.example",
    "https://evil.example/testnet.binancefuture.com",
    "https://fapi.binance.com#@127.0.0.1",
    "https://fapi.binance.com?@127.0.0.1",
    "ftp://127.0.0.1",
    "127.0.0.1:8765",
    "",
    "http://",
    "http://[::1",
    "https://fapi.binance.com",
]

SAFE = [
    ("http://127.0.0.1:8765", SIM),
    ("http://127.0.0.1", SIM),
    ("http://127.0.0.2:9000", SIM),
    ("http://localhost:8765", SIM),
    ("http://LOCALHOST:8765", SIM),
    ("http://[::1]:8765", SIM),
    ("https://testnet.binancefuture.com", TESTNET),
    ("https://demo-fapi.binance.com", DEMO),
]


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_or_ambiguous_url_is_production(url):
    assert environment_of(url) == LIVE


@pytest.mark.parametrize(("url", "expected"), SAFE)
def test_exact_loopback_and_known_testnet_hosts_are_not_production(url, expected):
    assert environment_of(url) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1.fapi.binance.com", "https://fapi.binance.com\\@127.0.0.1"]
)
def test_the_canary_refuses_to_confirm_on_a_url_that_only_looks_like_the_stand_in(
    api,
    alice,
    token_for,
    exchange,  # noqa: F811 - the fixture imported above
    settings,
    url,
):
    token = token_for(alice)
    run = run_canary(api, token)
    settings.BINANCE_FUTURES_BASE_URL = url
    settings.BINANCE_FUTURES_RESOLVED_ENV = "sim"  # what the old classifier would have said
    response = api.post("/canary/confirm", {"runId": run["id"]}, token=token)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "CANARY_LIVE_REFUSED"
    assert AuditEntry.objects.filter(action="canary.confirm", outcome="denied").exists()
    assert CanaryRun.objects.get(pk=run["id"]).status == "SIMULATED"
    assert exchange_orders(exchange, "ETHUSDT") == []
    assert api.get("/canary/status").json()["policy"]["confirmAllowed"] is False
