"""Old snapshots are thinned: minutely for a day, hourly for a month, none older."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portfolio.models import PortfolioAsset, PortfolioSnapshot
from portfolio.services import snapshots_thin

# JSON key lookups (the last good snapshot of an exchange) differ per database: run on both
pytestmark = pytest.mark.backends

NOW = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
OK = {"btcturk": {"status": "ok", "fetched_at": NOW.isoformat(), "error": None}}
DOWN = {"btcturk": {"status": "unavailable", "fetched_at": None, "error": {"code": "X"}}}


def snap(at: datetime, sources=None) -> PortfolioSnapshot:
    s = PortfolioSnapshot.objects.create(
        taken_at=at, total_usd=Decimal("1"), sources=sources or DOWN
    )
    PortfolioAsset.objects.create(
        snapshot=s, exchange="btcturk", asset="USDT", quantity=1, value_usd=1
    )
    return s


@pytest.mark.django_db
def test_it_keeps_the_newest_snapshot_per_minute_within_a_day():
    a = snap(NOW - timedelta(seconds=20))  # 12:00:10
    b = snap(NOW - timedelta(seconds=5))  # 12:00:25, same minute, newer
    c = snap(NOW - timedelta(minutes=3))
    deleted = snapshots_thin(now=NOW)
    assert deleted == 1
    assert set(PortfolioSnapshot.objects.values_list("id", flat=True)) == {b.id, c.id}
    assert not PortfolioAsset.objects.filter(snapshot_id=a.id).exists()


@pytest.mark.django_db
def test_it_keeps_one_snapshot_per_hour_between_a_day_and_a_month():
    base = NOW - timedelta(days=3)
    hour = base.replace(minute=0, second=0)
    kept = snap(hour + timedelta(minutes=50))
    for m in (5, 20, 35):
        snap(hour + timedelta(minutes=m))
    other_hour = snap(hour - timedelta(minutes=10))
    assert snapshots_thin(now=NOW) == 3
    assert set(PortfolioSnapshot.objects.values_list("id", flat=True)) == {kept.id, other_hour.id}


@pytest.mark.django_db
def test_it_drops_snapshots_older_than_a_month():
    snap(NOW - timedelta(days=31))
    recent = snap(NOW - timedelta(days=29))
    assert snapshots_thin(now=NOW) == 1
    assert list(PortfolioSnapshot.objects.values_list("id", flat=True)) == [recent.id]


@pytest.mark.django_db
def test_it_keeps_an_exchanges_last_good_snapshot_however_old():
    good = snap(NOW - timedelta(days=40), sources=OK)
    snap(NOW - timedelta(days=35))
    snap(NOW - timedelta(seconds=1))
    assert snapshots_thin(now=NOW) == 1
    assert PortfolioSnapshot.objects.filter(id=good.id).exists()


@pytest.mark.django_db
def test_thinning_twice_deletes_nothing_more():
    for i in range(0, 180, 20):  # three minutes of 20 s snapshots
        snap(NOW - timedelta(seconds=i))
    first = snapshots_thin(now=NOW)
    assert first > 0
    assert snapshots_thin(now=NOW) == 0
    assert PortfolioSnapshot.objects.count() == 9 - first
