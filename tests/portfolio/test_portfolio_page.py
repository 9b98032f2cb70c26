"""The /portfolio page: totals, a table per exchange and two server-rendered SVG charts."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from portfolio.models import PortfolioSnapshot
from tests.support.stand_in import seed_portfolio

pytestmark = pytest.mark.django_db


def test_the_page_shows_totals_tables_and_svg_charts(exchange, client, api, bob):
    client.force_login(bob)
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    exchange.control.balances(futures={"USDT": "3000"})
    api.get("/api/portfolio", refresh="1")

    r = client.get("/portfolio")

    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="portfolio-total" data-total="36650.00000000"' in html
    for name in ("binance_spot", "binance_futures", "btcturk"):
        assert f'data-exchange="{name}"' in html
    assert html.count("<svg") >= 2
    allocation = re.search(r'<svg[^>]*class="chart allocation-chart".*?</svg>', html, re.S)
    history = re.search(r'<svg[^>]*class="chart history-chart".*?</svg>', html, re.S)
    assert allocation and history
    assert {"BTC", "ETH", "USDT", "TRY"} <= set(re.findall(r'data-asset="(\w+)"', allocation[0]))
    points = re.search(r'class="value-line" points="([^"]+)"', history[0])[1].split()
    assert len(points) == 2  # one point per stored snapshot
    assert "36.650,00" in history[0] and "36.150,50" in history[0]  # max and min, in Turkish
    assert 'src="/static/spark/portfolio.js"' in html


def test_the_charts_part_alone_is_what_the_page_reloads(exchange, client, api, bob):
    client.force_login(bob)
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    r = client.get("/portfolio", {"part": "charts"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "allocation-chart" in html and "history-chart" in html
    assert "<html" not in html


def test_a_stale_exchange_is_marked_on_the_page(
    exchange, client, api, settings, closed_port_url, bob
):
    client.force_login(bob)
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    settings.BTCTURK_BASE_URL = closed_port_url
    api.get("/api/portfolio", refresh="1")

    html = client.get("/portfolio").content.decode()

    # The failure in Turkish, the code beside it; the connector's English message stays off it.
    assert "BTCTurk: Borsaya bağlanılamadı. (CONNECTION)" in html
    assert "cannot connect" not in html
    pattern = r'<section class="card exchange" data-exchange="btcturk">.*?</section>'
    section = re.search(pattern, html, re.S)[0]
    assert 'data-role="status" data-status="stale">eski<' in section


@pytest.mark.parametrize(
    ("code", "turkish"),
    [
        ("TIMEOUT", "Borsa zamanında yanıt vermedi."),
        ("401", "Borsa API anahtarını reddetti"),
        ("-2015", "Borsa API anahtarını reddetti"),
        ("429", "İstek sınırına ulaşıldı"),
        ("503", "Borsa kendi tarafında hata verdi."),
        ("BAD_PAYLOAD", "Borsanın yanıtı okunamadı."),
        ("-9999", "Borsa okunamadı."),
    ],
)
def test_each_kind_of_failure_reads_in_turkish_on_the_page(client, bob, code, turkish):
    client.force_login(bob)
    error = {"code": code, "message": "Some English text from the exchange"}
    PortfolioSnapshot.objects.create(
        taken_at=timezone.now(),
        total_usd=Decimal("0"),
        partial=True,
        latency_ms=1,
        sources={"btcturk": {"status": "unavailable", "fetched_at": None, "error": error}},
    )

    html = client.get("/portfolio").content.decode()

    item = re.search(r'<li class="badge bad" data-exchange="btcturk"[^>]*>([^<]*)</li>', html)[1]
    assert item.startswith("BTCTurk: ") and turkish in item and f"({code})" in item
    assert "Some English text" not in html


def test_the_page_asks_for_a_login_when_reads_are_private(client, settings, mallory):
    settings.SPARK_PUBLIC_READS = False
    r = client.get("/portfolio")
    assert r.status_code == 302 and "/login/" in r["Location"]
    client.force_login(mallory)
    assert client.get("/portfolio").status_code == 403


def test_the_snapshot_command_stores_a_snapshot_and_thins_old_ones(exchange):
    seed_portfolio(exchange)
    old = timezone.now() - timedelta(days=40)
    PortfolioSnapshot.objects.create(taken_at=old, total_usd=1, sources={})

    call_command("snapshot_portfolio")

    assert not PortfolioSnapshot.objects.filter(taken_at=old).exists()
    snap = PortfolioSnapshot.objects.get()
    assert snap.total_usd == Decimal("36150.5") and not snap.partial


def test_the_admin_lists_snapshots_with_their_assets(exchange, api, client, make_user):
    seed_portfolio(exchange)
    snap_id = api.get("/api/portfolio", refresh="1").json()["snapshot_id"]
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert client.get("/admin/portfolio/portfoliosnapshot/").status_code == 200
    r = client.get(f"/admin/portfolio/portfoliosnapshot/{snap_id}/change/")
    assert r.status_code == 200 and b"TRY" in r.content
