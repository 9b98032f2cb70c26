"""CSV exports: columns, exact decimals, encoding and BOM, filters, roles, and no secrets."""

from __future__ import annotations

import csv
import io

import pytest

from audit.models import AuditEntry
from audit.services import record

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

BOM = b"\xef\xbb\xbf"


def body(response) -> bytes:
    """A streamed export's bytes (read once; kept on the response for a second look)."""
    if not hasattr(response, "body"):
        response.body = b"".join(response.streaming_content)
    return response.body


def read_csv(response, *, excel=False) -> list[dict]:
    assert response.status_code == 200, getattr(response, "content", b"")[:400]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    raw = body(response)  # streamed part by part
    assert raw.startswith(BOM) == excel
    text = raw.decode("utf-8-sig" if excel else "utf-8")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))


def test_orders_csv_has_the_columns_and_exact_decimals(api, desk, bob, token_for):
    rows = read_csv(api.get("/api/history/orders.csv", token=token_for(bob)))
    assert list(rows[0]) == [
        "createdAt (UTC)", "clientOrderId", "orderId", "symbol", "side", "type", "status",
        "quantity", "price", "stopPrice", "filledQty", "avgPrice", "reduceOnly", "dryRun",
        "environment", "user", "source",
    ]  # fmt: skip
    assert [r["clientOrderId"] for r in rows] == ["h-4", "h-3", "h-2", "h-1"]
    h1 = rows[-1]
    assert (h1["quantity"], h1["price"], h1["avgPrice"]) == ("0.01", "95000.5", "95000.5")
    assert h1["createdAt (UTC)"] == "2026-11-03T09:00:00+00:00"
    assert h1["dryRun"] == "false" and h1["user"] == "alice"


def test_the_excel_file_has_a_bom_semicolons_decimal_commas_and_istanbul_times(
    api, desk, bob, token_for
):
    response = api.get("/api/history/orders.csv", token=token_for(bob), format="excel")
    rows = read_csv(response, excel=True)
    h1 = rows[-1]
    assert h1["price"] == "95000,5" and h1["quantity"] == "0,01"
    assert h1["createdAt (Europe/Istanbul)"] == "2026-11-03 12:00:00"
    assert body(response).count(b";") > body(response).count(b",")
    point = read_csv(
        api.get("/api/history/orders.csv", token=token_for(bob), format="excel", decimal="point"),
        excel=True,
    )
    assert point[-1]["price"] == "95000.5"


def test_filters_narrow_the_export_as_they_narrow_the_list(api, desk, bob, token_for):
    token = token_for(bob)
    rows = read_csv(
        api.get("/api/history/orders.csv", token=token, symbol="ETHUSDT", status="FILLED")
    )
    assert [r["clientOrderId"] for r in rows] == ["h-3"]
    dated = read_csv(api.get("/api/history/fills.csv", token=token, dateTo="2026-11-04"))
    assert [r["tradeId"] for r in dated] == ["11"]


def test_fills_csv(api, desk, bob, token_for):
    rows = read_csv(
        api.get("/api/history/fills.csv", token=token_for(bob), format="excel"), excel=True
    )
    assert list(rows[0])[:3] == ["tradedAt (Europe/Istanbul)", "tradeId", "clientOrderId"]
    eth = rows[0]
    assert (eth["quoteQty"], eth["commission"], eth["realizedPnl"]) == ("5100", "2,04", "-12,345")


def test_pnl_csv_has_a_column_per_kind_and_cent_exact_sums(api, desk, bob, token_for):
    rows = read_csv(api.get("/api/history/pnl.csv", token=token_for(bob)))
    assert list(rows[0]) == [
        "trading_day", "realized", "commission", "funding", "transfer", "other", "net",
    ]  # fmt: skip
    assert rows[0] == {
        "trading_day": "2026-11-03", "realized": "1234.56", "commission": "-0.380002",
        "funding": "-1.25", "transfer": "0", "other": "0", "net": "1232.929998",
    }  # fmt: skip
    by_symbol = read_csv(
        api.get("/api/history/pnl.csv", token=token_for(bob), groupBy="symbol", format="excel"),
        excel=True,
    )
    assert [(r["symbol"], r["net"]) for r in by_symbol] == [
        ("BTCUSDT", "1237,929998"),
        ("ETHUSDT", "-13,735"),
    ]


def test_funding_csv(api, desk, bob, token_for):
    rows = read_csv(api.get("/api/history/funding.csv", token=token_for(bob)))
    assert [(r["symbol"], r["paid"], r["received"]) for r in rows] == [
        ("BTCUSDT", "-1.25", "0"),
        ("ETHUSDT", "-0.1", "0.75"),
    ]


def test_an_export_is_audited_with_its_filters(api, desk, bob, token_for):
    api.get("/api/history/orders.csv", token=token_for(bob), symbol="BTCUSDT", format="excel")
    entry = AuditEntry.objects.get(action="history.export")
    assert entry.actor == bob and entry.target == "orders" and entry.outcome == "ok"
    assert entry.payload["symbol"] == "BTCUSDT" and entry.payload["format"] == "excel"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "xlsx"}, "format"),
        ({"decimal": ","}, "decimal"),
        ({"groupBy": "week"}, "groupBy"),
    ],
)
def test_bad_export_options_are_422_naming_the_field(api, desk, bob, token_for, params, field):
    response = api.get("/api/history/pnl.csv", token=token_for(bob), **params)
    assert response.status_code == 422
    fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
    assert field in fields
    assert not AuditEntry.objects.filter(action="history.export").exists()


# ------------------------------------------------------------------------------- audit log


def test_an_operator_exports_the_audit_log_and_the_export_is_audited(api, olga, token_for):
    record(actor=olga, action="risk.breaker.close", target="breaker", payload={"reason": "ok"})
    rows = read_csv(api.get("/api/history/audit.csv", token=token_for(olga)))
    assert list(rows[0]) == [
        "createdAt (UTC)", "actor", "action", "target", "outcome", "clientIp", "payload",
    ]  # fmt: skip
    assert rows[0]["action"] == "risk.breaker.close" and rows[0]["actor"] == "olga"
    assert AuditEntry.objects.filter(action="audit.export", actor=olga, outcome="ok").exists()


def test_the_audit_export_filters_by_action_prefix(api, olga, token_for):
    record(actor=olga, action="risk.breaker.close", target="breaker")
    record(actor=olga, action="futures.order.place", target="o-1")
    rows = read_csv(api.get("/api/history/audit.csv", token=token_for(olga), action="risk."))
    assert [r["action"] for r in rows] == ["risk.breaker.close"]


@pytest.mark.parametrize("who", ["alice", "bob", "mallory"])
def test_roles_below_operator_are_refused_the_audit_export_and_it_is_audited(
    api, alice, bob, mallory, token_for, who
):
    user = {"alice": alice, "bob": bob, "mallory": mallory}[who]
    response = api.get("/api/history/audit.csv", token=token_for(user))
    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "audit.view_auditentry"
    denied = AuditEntry.objects.get(actor=user, outcome="denied")
    assert denied.action == "audit.export"
    assert not AuditEntry.objects.filter(action="audit.export", outcome="ok").exists()


def test_no_secret_reaches_the_audit_file(api, olga, token_for, settings):
    secret = "s3cr3t-value-that-must-not-leak-0123"
    settings.BINANCE_API_SECRET = secret
    entry = record(actor=olga, action="x.y", target="t")
    # a payload written before scrubbing existed (or by hand) still leaves the file scrubbed
    AuditEntry.objects.filter(pk=entry.pk).update(
        payload={"api_secret": secret, "nested": {"password": "hunter2"}, "note": f"k={secret}"}
    )
    raw = body(api.get("/api/history/audit.csv", token=token_for(olga))).decode()
    assert secret not in raw and "hunter2" not in raw
    token = token_for(olga)
    assert token not in body(api.get("/api/history/audit.csv", token=token)).decode()


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_as_text(api, olga, token_for):
    record(actor=olga, action="x.y", target='=HYPERLINK("http://evil","x")')
    rows = read_csv(
        api.get("/api/history/audit.csv", token=token_for(olga), format="excel"), excel=True
    )
    target = next(r["target"] for r in rows if r["action"] == "x.y")
    assert target == '\'=HYPERLINK("http://evil","x")'
