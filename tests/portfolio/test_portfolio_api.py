"""GET /api/portfolio against the running stand-in: Binance Spot, Binance Futures and BTCTurk."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from portfolio.models import PortfolioAsset, PortfolioSnapshot
from tests.support.stand_in import seed_portfolio

pytestmark = pytest.mark.django_db

# BTCTurk's stand-in prices lira pairs at USDTTRY 34.50 (simexchange/btcturk.py).
USDTTRY = Decimal("34.50")


def errors_counted(exchange: str, code: str) -> float:
    value = REGISTRY.get_sample_value(
        "spark_exchange_api_error_total", {"exchange": exchange, "code": code}
    )
    return value or 0.0


def by_exchange(body: dict) -> dict[str, dict]:
    return {e["exchange"]: e for e in body["exchanges"]}


def assets_of(ex: dict) -> dict[str, dict]:
    return {a["asset"]: a for a in ex["assets"]}


def test_it_values_all_three_exchanges_to_an_exact_usd_total(exchange, api):
    seed_portfolio(exchange)
    btc, eth = Decimal("60000"), Decimal("3000")
    spot = Decimal("0.25") * btc + Decimal("1.5") * eth + Decimal("100")
    futures = Decimal("2500.5")
    # BTCTurk: BTC through its BTCUSDT pair, ETH through ETHTRY / USDTTRY, lira / USDTTRY
    btcturk = (
        Decimal("69000") / USDTTRY
        + Decimal("0.1") * btc
        + Decimal("2") * (eth * USDTTRY) / USDTTRY
        + Decimal("50")
    )
    assert (spot, futures, btcturk) == (Decimal("19600"), Decimal("2500.5"), Decimal("14050"))

    r = api.get("/api/portfolio", refresh="1")

    assert r.status_code == 200, r.content
    body = r.json()
    assert Decimal(body["total_usd"]) == spot + futures + btcturk == Decimal("36150.5")
    assert body["total_usd"] == "36150.50000000"  # a Decimal string, never a float
    assert body["partial"] is False and body["errors"] == []
    ex = by_exchange(body)
    assert set(ex) == {"binance_spot", "binance_futures", "btcturk"}
    assert Decimal(ex["binance_spot"]["value_usd"]) == spot
    assert Decimal(ex["binance_futures"]["value_usd"]) == futures
    assert Decimal(ex["btcturk"]["value_usd"]) == btcturk
    for e in ex.values():
        assert e["status"] == "ok" and e["stale"] is False and e["error"] is None
        assert e["fetched_at"] and 0 <= e["age_seconds"] < 30
    bt = assets_of(ex["btcturk"])
    assert Decimal(bt["TRY"]["quantity"]) == 69000
    assert Decimal(bt["TRY"]["value_usd"]) == 2000
    assert Decimal(bt["ETH"]["price_usd"]) == eth
    sp = assets_of(ex["binance_spot"])
    assert Decimal(sp["BTC"]["value_usd"]) == Decimal("15000")
    assert Decimal(sp["BTC"]["share"]) == (Decimal("15000") / Decimal("36150.5")).quantize(
        Decimal("0.000001")
    )
    alloc = {a["asset"]: a for a in body["allocation"]}
    assert Decimal(alloc["BTC"]["quantity"]) == Decimal("0.35")
    assert Decimal(alloc["BTC"]["value_usd"]) == Decimal("21000")
    assert Decimal(alloc["USDT"]["value_usd"]) == Decimal("2650.5")
    assert abs(sum(Decimal(a["share"]) for a in body["allocation"]) - 1) < Decimal("0.00001")

    snap = PortfolioSnapshot.objects.get(id=body["snapshot_id"])
    assert snap.total_usd == Decimal("36150.5") and not snap.partial
    assert PortfolioAsset.objects.filter(snapshot=snap).count() == 3 + 1 + 4


def test_one_exchange_down_gives_a_partial_portfolio_naming_it(
    exchange, api, settings, closed_port_url
):
    seed_portfolio(exchange)
    settings.BTCTURK_BASE_URL = closed_port_url
    before = errors_counted("btcturk", "CONNECTION")

    body = api.get("/api/portfolio", refresh="1").json()

    assert errors_counted("btcturk", "CONNECTION") == before + 1
    assert body["partial"] is True
    assert [(e["exchange"], e["code"]) for e in body["errors"]] == [("btcturk", "CONNECTION")]
    ex = by_exchange(body)
    assert ex["btcturk"]["status"] == "unavailable"  # never read: nothing to show stale
    assert ex["btcturk"]["assets"] == [] and ex["btcturk"]["error"]["code"] == "CONNECTION"
    assert ex["binance_spot"]["status"] == ex["binance_futures"]["status"] == "ok"
    assert Decimal(body["total_usd"]) == Decimal("19600") + Decimal("2500.5")


@pytest.mark.backends  # the last good snapshot is found by a JSON key lookup
def test_a_failed_exchange_is_shown_stale_with_its_last_good_snapshot(
    exchange, api, settings, closed_port_url
):
    seed_portfolio(exchange)
    good = api.get("/api/portfolio", refresh="1").json()
    good_bt = by_exchange(good)["btcturk"]
    exchange.control.balances(spot={"USDT": "200"})  # spot moves on while BTCTurk is down
    settings.BTCTURK_BASE_URL = closed_port_url
    before = errors_counted("btcturk", "CONNECTION")

    body = api.get("/api/portfolio", refresh="1").json()

    assert errors_counted("btcturk", "CONNECTION") == before + 1
    bt = by_exchange(body)["btcturk"]
    assert bt["status"] == "stale" and bt["stale"] is True
    assert bt["error"]["code"] == "CONNECTION"
    assert bt["fetched_at"] == good_bt["fetched_at"]  # the freshness of the data shown
    assert bt["value_usd"] == good_bt["value_usd"] == "14050.00000000"
    assert {a["asset"] for a in bt["assets"]} == {"TRY", "BTC", "ETH", "USDT"}
    assert all(a["stale"] for a in bt["assets"])
    assert Decimal(by_exchange(body)["binance_spot"]["value_usd"]) == Decimal("19700")
    assert Decimal(body["total_usd"]) == Decimal("19700") + Decimal("2500.5") + Decimal("14050")
    assert body["partial"] is True


def test_a_slow_exchange_times_out_without_holding_up_the_others(exchange, api, settings):
    from simexchange.testing import running_simexchange
    from tests.portfolio.conftest import BTCTURK_KEY, BTCTURK_SECRET

    seed_portfolio(exchange)
    settings.PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS = 0.3
    with running_simexchange(
        feed_running=False, btcturk_keys=f"{BTCTURK_KEY}:{BTCTURK_SECRET}"
    ) as slow:
        slow.control.faults(latency_ms=1500)
        settings.BTCTURK_BASE_URL = slow.base_url
        before = errors_counted("btcturk", "TIMEOUT")

        body = api.get("/api/portfolio", refresh="1").json()

        assert errors_counted("btcturk", "TIMEOUT") == before + 1
        assert body["refresh_latency_ms"] < 1200  # waited ~0.3 s, not the 1.5 s of the slow one
        assert by_exchange(body)["btcturk"]["error"]["code"] == "TIMEOUT"
        assert by_exchange(body)["binance_spot"]["status"] == "ok"
        slow.control.clear_faults()


def test_it_serves_a_recent_snapshot_unless_asked_to_refresh(exchange, api):
    seed_portfolio(exchange)
    first = api.get("/api/portfolio", refresh="1").json()
    exchange.control.balances(futures={"USDT": "3000"})

    cached = api.get("/api/portfolio").json()
    fresh = api.get("/api/portfolio", refresh="1").json()

    assert cached["snapshot_id"] == first["snapshot_id"]
    assert cached["total_usd"] == first["total_usd"]
    assert fresh["snapshot_id"] != first["snapshot_id"]
    assert Decimal(fresh["total_usd"]) - Decimal(first["total_usd"]) == Decimal("499.5")


def test_it_refreshes_when_the_latest_snapshot_is_too_old(exchange, api, settings):
    seed_portfolio(exchange)
    first = api.get("/api/portfolio", refresh="1").json()
    settings.PORTFOLIO_MAX_AGE_SECONDS = 0
    again = api.get("/api/portfolio").json()
    assert again["snapshot_id"] != first["snapshot_id"]


def test_the_metrics_follow_a_complete_refresh(exchange, api):
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    assert REGISTRY.get_sample_value("spark_portfolio_total_value_usd") == 36150.5
    # distinct assets across exchanges: BTC, ETH, USDT, TRY
    assert REGISTRY.get_sample_value("spark_portfolio_asset_count") == 4
    assert REGISTRY.get_sample_value("spark_portfolio_last_update_timestamp") > 0
    assert REGISTRY.get_sample_value("spark_portfolio_refresh_latency_ms_count") >= 1


def test_reads_need_the_viewer_role_when_reads_are_private(
    exchange, api, settings, mallory, bob, token_for
):
    settings.SPARK_PUBLIC_READS = False
    assert api.get("/api/portfolio").status_code == 401
    assert api.get("/api/portfolio", token=token_for(mallory)).status_code == 403
    assert api.get("/api/portfolio", token=token_for(bob), refresh="1").status_code == 200


def test_refused_keys_are_named_with_the_exchanges_own_code(exchange, api, settings):
    seed_portfolio(exchange)
    settings.BTCTURK_API_SECRET = "d3Jvbmctc2VjcmV0"  # base64 of "wrong-secret"
    settings.BINANCE_SPOT_API_SECRET = "not-the-secret"
    bt_before = errors_counted("btcturk", "401")
    spot_before = errors_counted("binance_spot", "-1022")

    body = api.get("/api/portfolio", refresh="1").json()

    failed = {e["exchange"]: e["code"] for e in body["errors"]}
    assert failed == {"btcturk": "401", "binance_spot": "-1022"}
    assert errors_counted("btcturk", "401") == bt_before + 1
    assert errors_counted("binance_spot", "-1022") == spot_before + 1
    assert by_exchange(body)["binance_futures"]["status"] == "ok"
    assert Decimal(body["total_usd"]) == Decimal("2500.5")
    assert "d3Jvbmctc2VjcmV0" not in str(body) and "not-the-secret" not in str(body)


def test_an_asset_without_a_usd_route_is_listed_unvalued_and_left_out_of_the_total(exchange, api):
    seed_portfolio(exchange)
    exchange.control.balances(spot={"XYZ": "5"})

    body = api.get("/api/portfolio", refresh="1").json()

    spot = by_exchange(body)["binance_spot"]
    assert spot["unpriced"] == ["XYZ"]
    xyz = assets_of(spot)["XYZ"]
    assert xyz["quantity"] == "5" and xyz["value_usd"] is None and xyz["price_usd"] is None
    assert body["total_usd"] == "36150.50000000"
