"""GET /api/history/*: every state and filter, paging, the ledger's kinds, and who may read."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


@pytest.fixture(autouse=True)
def no_btcturk(settings, closed_port_url):
    settings.BTCTURK_BASE_URL = closed_port_url
    from portfolio import fx

    fx.clear_cache()
    yield
    fx.clear_cache()


@pytest.fixture
def closed_port_url():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def body(response, status=200):
    assert response.status_code == status, response.content[:400]
    return json.loads(response.content)


def test_it_lists_orders_in_every_state_newest_first(api, desk, bob, token_for):
    data = body(api.get("/api/history/orders", token=token_for(bob)))
    assert data["count"] == 4
    assert [o["clientOrderId"] for o in data["results"]] == ["h-4", "h-3", "h-2", "h-1"]
    assert {o["status"] for o in data["results"]} == {"FILLED", "CANCELED", "NEW"}
    first = data["results"][-1]
    assert first["price"] == "95000.5" and first["quantity"] == "0.01"
    assert first["user"] == "alice"
    assert "rawResponse" not in first and "raw_response" not in first


def test_it_filters_orders_by_symbol_side_status_and_istanbul_days(api, desk, bob, token_for):
    token = token_for(bob)

    def ids(**params):
        data = body(api.get("/api/history/orders", token=token, **params))
        return [o["clientOrderId"] for o in data["results"]]

    assert ids(symbol="ethusdt") == ["h-4", "h-3"]
    assert ids(side="SELL") == ["h-4", "h-2"]
    assert ids(status="CANCELED") == ["h-2"]
    assert ids(symbol="ETHUSDT", status="FILLED") == ["h-3"]
    # 2026-11-03 22:00 UTC is already the 4th in Istanbul (UTC+3)
    assert ids(dateFrom="2026-11-03", dateTo="2026-11-03") == ["h-1"]
    assert ids(dateFrom="2026-11-04", dateTo="2026-11-04") == ["h-2"]
    assert ids(dateFrom="2026-11-05") == ["h-4", "h-3"]


def test_it_pages_orders(api, desk, bob, token_for):
    token = token_for(bob)
    one = body(api.get("/api/history/orders", token=token, page=1, pageSize=3))
    two = body(api.get("/api/history/orders", token=token, page=2, pageSize=3))
    far = body(api.get("/api/history/orders", token=token, page=9, pageSize=3))
    assert (one["count"], one["pages"], len(one["results"])) == (4, 2, 3)
    assert [o["clientOrderId"] for o in two["results"]] == ["h-1"]
    assert far["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"side": "buy"}, "side"),
        ({"status": "DONE"}, "status"),
        ({"dateFrom": "2026-02-30"}, "dateFrom"),
        ({"dateFrom": "03.11.2026"}, "dateFrom"),
        ({"dateFrom": "1700000000"}, "dateFrom"),
        ({"dateFrom": "2026-11-05", "dateTo": "2026-11-03"}, "dateTo"),
        ({"page": "0"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"pageSize": "501"}, "pageSize"),
        ({"symbol": "BTC'--"}, "symbol"),
    ],
)
def test_it_refuses_bad_filters_naming_the_field(api, desk, bob, token_for, params, field):
    error = body(api.get("/api/history/orders", token=token_for(bob), **params), 422)["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [f["field"] for f in error["details"]["fields"]]


def test_it_lists_fills_with_their_order(api, desk, bob, token_for):
    data = body(api.get("/api/history/fills", token=token_for(bob), symbol="ETHUSDT"))
    assert data["count"] == 1
    fill = data["results"][0]
    assert fill["clientOrderId"] == "h-3" and fill["side"] == "BUY"
    assert fill["quoteQty"] == "5100" and fill["realizedPnl"] == "-12.345"
    assert fill["maker"] is True
    assert body(api.get("/api/history/fills", token=token_for(bob), side="SELL"))["count"] == 0


def test_pnl_by_day_has_a_column_per_kind_and_net(api, desk, bob, token_for):
    data = body(api.get("/api/history/pnl", token=token_for(bob)))
    assert data["kinds"] == ["realized", "commission", "funding", "transfer", "other"]
    assert data["rows"] == [
        {
            "tradingDay": "2026-11-03",
            "realized": "1234.56",
            "commission": "-0.380002",
            "funding": "-1.25",
            "transfer": "0",
            "other": "0",
            "net": "1232.929998",
        },
        {
            "tradingDay": "2026-11-05",
            "realized": "-7.345",
            "commission": "-2.04",
            "funding": "0.65",
            "transfer": "0",
            "other": "0",
            "net": "-8.735",
        },
    ]
    assert data["totals"]["net"] == "1224.194998"


def test_pnl_by_symbol_and_dates(api, desk, bob, token_for):
    data = body(api.get("/api/history/pnl", token=token_for(bob), groupBy="symbol"))
    assert [(r["symbol"], r["net"]) for r in data["rows"]] == [
        ("BTCUSDT", "1237.929998"),
        ("ETHUSDT", "-13.735"),
    ]
    later = body(api.get("/api/history/pnl", token=token_for(bob), dateFrom="2026-11-04"))
    assert [r["tradingDay"] for r in later["rows"]] == ["2026-11-05"]


def test_funding_is_split_into_paid_and_received(api, desk, bob, token_for):
    data = body(api.get("/api/history/funding", token=token_for(bob)))
    assert data["rows"] == [
        {"tradingDay": "2026-11-03", "symbol": "BTCUSDT", "paid": "-1.25", "received": "0",
         "net": "-1.25"},
        {"tradingDay": "2026-11-05", "symbol": "ETHUSDT", "paid": "-0.1", "received": "0.75",
         "net": "0.65"},
    ]  # fmt: skip
    assert data["totals"] == {"paid": "-1.35", "received": "0.75", "net": "-0.6"}


def test_without_btcturk_the_try_totals_are_marked_unavailable(api, desk, bob, token_for):
    data = body(api.get("/api/history/pnl", token=token_for(bob)))
    assert data["fx"]["status"] == "unavailable" and data["fx"]["stale"] is True
    assert data["totalsTry"]["net"] is None


@pytest.mark.parametrize(
    "path",
    ["/api/history/orders", "/api/history/fills", "/api/history/pnl", "/api/history/funding",
     "/api/history/orders.csv", "/api/history/pnl.csv"],
)  # fmt: skip
def test_a_user_without_a_role_is_refused_and_the_refusal_audited(
    api, desk, mallory, token_for, path
):
    error = body(api.get(path, token=token_for(mallory)), 403)["error"]
    assert error["details"]["permission"] == "accounts.view_platform"
    denied = AuditEntry.objects.filter(actor=mallory, outcome="denied").get()
    assert denied.action == "history.read" and denied.target == path


@pytest.mark.parametrize("path", ["/api/history/orders", "/api/history/pnl.csv"])
def test_anonymous_callers_get_401_even_while_reads_are_public(api, desk, settings, path):
    settings.SPARK_PUBLIC_READS = True
    assert body(api.get(path), 401)["error"]["code"] == "NOT_AUTHENTICATED"


def test_a_session_user_reads_with_the_viewer_role(client, desk, bob):
    client.force_login(bob)
    assert body(client.get("/api/history/orders"))["count"] == 4
