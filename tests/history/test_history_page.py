"""/history: viewer and above, Turkish labels and numbers, Istanbul times, tabs and exports."""

from __future__ import annotations

import re

import pytest

from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def btcturk_down(settings):
    import socket

    from portfolio import fx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.BTCTURK_BASE_URL = f"http://127.0.0.1:{s.getsockname()[1]}"
    fx.clear_cache()
    yield
    fx.clear_cache()


def page(client, user, **params):
    client.force_login(user)
    response = client.get("/history", params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_anonymous_is_sent_to_the_login_page(client, desk):
    response = client.get("/history")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_without_a_role_gets_403_and_the_refusal_is_audited(client, desk, mallory):
    client.force_login(mallory)
    assert client.get("/history").status_code == 403
    # The site's one page rule refuses it before the page's own check (spark_site/access.py).
    assert AuditEntry.objects.filter(
        actor=mallory, action="page.view", target="/history", outcome="denied"
    )


def test_the_orders_tab_is_turkish_with_istanbul_times_and_turkish_numbers(client, desk, bob):
    html = page(client, bob)
    assert "Geçmiş" in html and "Emirler" in html
    # h-1 was created 2026-11-03 09:00 UTC = 12:00 in Istanbul; price 95000.5
    row = re.search(r'<tr data-client-order-id="h-1">(.*?)</tr>', html, re.S).group(1)
    assert "03 Kas 2026 12:00" in row
    assert "95.000,5" in row and "0,01" in row
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[0:3] == ["BTCUSDT", "alış", "limit"]  # "limit" is Turkish too
    assert cells[3] == "gerçekleşti" and cells[8] == "hayır"  # not "filled", "no"


def test_the_pnl_tab_draws_a_bar_per_day_and_totals_in_usd_and_try(client, desk, bob):
    html = page(client, bob, tab="pnl")
    assert html.count('class="bar ') == 2
    total = re.search(r'<tr id="pnl-total-usd">(.*?)</tr>', html, re.S).group(1)
    assert "1.224,19" in total
    assert 'id="fx-unavailable"' in html  # BTCTurk is down: said so, no made-up TL


def test_filters_narrow_the_page_and_the_export_links(client, desk, bob):
    html = page(client, bob, tab="orders", symbol="ETHUSDT", status="FILLED")
    assert re.findall(r'data-client-order-id="([^"]+)"', html) == ["h-3"]
    links = re.findall(r'href="(/api/history/orders\.csv\?[^"]*)"', html)
    assert links and all("symbol=ETHUSDT" in link and "status=FILLED" in link for link in links)
    assert any("format=excel" in link for link in links)


def test_invalid_filters_are_ignored_with_a_message(client, desk, bob):
    html = page(client, bob, dateFrom="2026-13-45")
    assert 'id="history-warning"' in html
    assert len(re.findall(r"data-client-order-id=", html)) == 4


def test_only_operators_see_the_audit_export_link(client, desk, bob, olga):
    assert 'id="audit-export"' not in page(client, bob)
    assert 'id="audit-export"' in page(client, olga)


@pytest.mark.parametrize("tab", ["orders", "fills", "pnl", "funding"])
def test_no_english_label_is_left_on_the_turkish_page(client, desk, olga, tab):
    html = page(client, olga, tab=tab)
    main = html[html.index("<main>") : html.index("</main>")]
    words = {t.strip().rstrip(":") for t in re.findall(r">([^<]+)<", main)} - {""}
    english = {
        "History", "Orders", "Fills", "Daily PnL", "Funding", "Symbol", "Side", "Status", "From",
        "To", "Filter", "Export", "Previous", "Next", "Commission", "Realized", "Transfer",
        "Trading day", "Total (USD)", "Total (TRY)", "By symbol", "Paid (USD)", "Received (USD)",
        "filled", "canceled", "new", "buy", "sell", "yes", "no", "all", "Page", "rows", "Quantity",
        "Price", "User", "Dry run", "Average price", "TRY rate unavailable", "stale rate",
    }  # fmt: skip
    assert not (words & english), words & english


def test_the_pager_keeps_the_filters(client, desk, bob, alice):
    from tests.history.conftest import make_order

    for i in range(51):
        make_order(alice, f"many-{i:02d}", symbol="SOLUSDT", status="NEW")
    first = page(client, bob, symbol="SOLUSDT")
    assert len(re.findall(r"data-client-order-id=", first)) == 50
    assert "Sayfa 1 / 2 (51 satır)" in first
    link = re.search(r'<a href="([^"]+)" rel="next">Sonraki</a>', first).group(1)
    assert "symbol=SOLUSDT" in link and "page=2" in link
    second = client.get("/history" + link.replace("&amp;", "&")).content.decode()
    assert re.findall(r'data-client-order-id="([^"]+)"', second) == ["many-00"]
