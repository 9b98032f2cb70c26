"""Strategy Lab pages: forms run the services, results render with SVG and tables."""

from __future__ import annotations

import json

import pytest

from strategies import services
from strategies.documents import ema_cross
from strategies.models import BacktestRun, ParamChangeProposal, Strategy
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def english(client, settings):
    """These tests compare English messages: they ask as a user who picked English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.mark.django_db
def test_the_lab_runs_a_backtest_from_the_form_and_shows_chart_and_trades(
    client, quant, sim_settings
):
    client.login(username="alice", password=PASSWORD)
    page = client.get("/strategy-lab/")
    assert page.status_code == 200 and b'id="run-backtest"' in page.content
    r = client.post(
        "/strategy-lab/backtests", {"document": json.dumps(ema_cross(5, 20)), "days": 20}
    )
    assert r.status_code == 302
    run = BacktestRun.objects.get()
    assert r["Location"] == f"/strategy-lab/backtests/{run.pk}"
    html = client.get(r["Location"]).content.decode()
    assert '<svg class="equity-chart"' in html and "<polyline" in html
    assert html.count("<tr>") >= run.metrics["trades"] + 1


@pytest.mark.django_db
def test_a_bad_document_comes_back_as_a_message(client, quant):
    client.login(username="alice", password=PASSWORD)
    client.post("/i18n/setlang/", {"language": "tr", "next": "/"})
    r = client.post(
        "/strategy-lab/backtests", {"document": '{\n  "name": x', "days": 5}, follow=True
    )
    # Where it broke, in Turkish; the parser's English sentence never reaches the page.
    assert "belge geçerli JSON değil (satır 2, sütun 11)" in r.content.decode()
    assert "Expecting value" not in r.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    r = client.post("/strategy-lab/backtests", {"document": "{not json", "days": 5}, follow=True)
    assert "the document is not valid JSON (line 1, column 2)" in r.content.decode()
    assert not BacktestRun.objects.exists()


@pytest.mark.django_db
def test_the_proposal_page_hides_approve_from_the_proposer_and_shows_it_to_others(
    client, quant, approver, sim_settings
):
    s = services.strategy_create(user=quant, name="ema", document=ema_cross(5, 20))
    client.login(username="alice", password=PASSWORD)
    r = client.post(
        f"/strategy-lab/strategies/{s.pk}/proposals",
        {"param:fast.period": "8", "param:slow.period": "20", "days": 10, "reason": "x"},
    )
    p = ParamChangeProposal.objects.get()
    assert r["Location"] == f"/strategy-lab/proposals/{p.pk}"
    assert p.diff == [{"param": "fast.period", "old": 5, "new": 8}]
    mine = client.get(r["Location"]).content.decode()
    assert 'id="approve"' not in mine and 'id="four-eyes-note"' in mine
    assert 'id="diff"' in mine and 'id="evidence"' in mine
    forged = client.post(f"/strategy-lab/proposals/{p.pk}/approve", follow=True)
    assert "strategies.approve_proposal" in forged.content.decode()  # alice may not approve
    assert ParamChangeProposal.objects.get().status == "PENDING"
    client.logout()
    client.login(username="olga", password=PASSWORD)
    theirs = client.get(r["Location"]).content.decode()
    assert 'id="approve"' in theirs
    client.post(f"/strategy-lab/proposals/{p.pk}/approve", {"note": "ok"})
    assert Strategy.objects.get(pk=s.pk).version == 2


@pytest.mark.django_db
def test_the_optimization_page_draws_heat_maps(client, quant, sim_settings):
    from datetime import datetime

    from strategies import optimize
    from tests.strategies.conftest import period

    p = period(800, 400)
    run = optimize.optimization_start(
        user=quant,
        document=ema_cross(5, 20),
        space={"fast.period": [3, 5], "slow.period": [20, 30]},
        method="grid",
        samples=0,
        splits=2,
        start=datetime.fromisoformat(p["start"]),
        end=datetime.fromisoformat(p["end"]),
        background=False,
    )
    client.force_login(quant)
    html = client.get(f"/strategy-lab/optimizations/{run.pk}").content.decode()
    assert html.count('<svg class="heatmap"') == 2
    assert html.count("<rect") == 8
    assert 'id="walk-forward"' in html and run.walk_forward["folds"]


@pytest.mark.django_db
def test_the_lab_lists_the_users_drafts_and_backtests_one(client, quant, sim_settings):
    from copilot.services import strategy_generate

    draft = strategy_generate(user=quant, prompt="ETH 1h EMA cross", save=True)["draft"]
    client.login(username="alice", password=PASSWORD)
    assert draft.name in client.get("/strategy-lab/").content.decode()
    r = client.post("/strategy-lab/backtests", {"draft_id": draft.pk, "days": 5})
    run = BacktestRun.objects.get()
    assert r["Location"] == f"/strategy-lab/backtests/{run.pk}" and run.draft_id == draft.pk


@pytest.mark.django_db
def test_the_lab_fetches_klines_and_lists_stored_series_with_missing_bars(
    client, quant, sim_settings
):
    from strategies.models import Kline

    client.login(username="alice", password=PASSWORD)
    r = client.post(
        "/strategy-lab/klines", {"symbol": "ethusdt", "interval": "1h", "days": 3}, follow=True
    )
    html = r.content.decode()
    assert "ETHUSDT 1h: 72 new bars" in html
    first = Kline.objects.order_by("open_time").first().open_time
    Kline.objects.filter(open_time=first + 3_600_000 * 5).delete()
    html = client.get("/strategy-lab/").content.decode()
    assert '<td class="num warn">1</td>' in html


@pytest.mark.django_db
def test_the_form_sets_cash_fees_and_max_notional(client, quant, sim_settings):
    client.login(username="alice", password=PASSWORD)
    client.post(
        "/strategy-lab/backtests",
        {
            "document": json.dumps(ema_cross(5, 20)),
            "days": 10,
            "initial_cash": "5000",
            "max_notional": "2500",
            "fee_rate": "0.001",
            "slippage": "",
        },
    )
    run = BacktestRun.objects.get()
    assert run.config["initial_cash"] == 5000 and run.config["max_notional"] == 2500
    assert run.config["fee_rate"] == 0.001 and run.config["slippage"] == 0.0002
