"""With the seed's limits BTCUSDT cannot be traded: the dashboard says so, with the fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from risk.models import RiskLimits

pytestmark = pytest.mark.django_db


def conflicts_box(page: str) -> str:
    start = page.index('data-testid="limit-conflicts"')
    return page[start : page.index("</div>", start)]


def test_the_dashboard_names_the_conflict_and_its_fix_in_turkish(client, bob, sim_settings):
    assert RiskLimits.load().max_notional_usd == Decimal("100")  # the seed's default stays
    client.force_login(bob)
    box = conflicts_box(client.get("/").content.decode())
    assert 'data-symbol="BTCUSDT"' in box and 'data-limit="max_notional_usd"' in box
    assert "BTCUSDT işlem göremez" in box
    assert "Çözüm: bir operatör Limitler sayfasında azami emir tutarını" in box
    assert "/limits/" not in box  # a viewer cannot edit, so no link


def test_an_operator_gets_the_link_and_english_when_picked(client, olga, sim_settings):
    client.force_login(olga)
    client.post("/i18n/setlang/", {"language": "en"})
    box = conflicts_box(client.get("/").content.decode())
    assert "BTCUSDT cannot be traded" in box and "Fix: an operator raises the max notional" in box
    assert 'href="/limits/"' in box


def test_raising_the_limit_on_the_limits_page_clears_the_conflict(client, olga, sim_settings):
    client.force_login(olga)
    assert "limit-conflicts" in client.get("/").content.decode()
    form = {
        "max_notional_usd": "200",
        "default_max_position_usd": "500",
        "daily_loss_limit_usd": "50",
        "trading_day_timezone": "UTC",
        "trading_day_start_hour": "0",
    }
    assert client.post("/limits/", form).status_code == 302
    assert "limit-conflicts" not in client.get("/").content.decode()


def test_the_daily_loss_states_its_utc_boundary_and_istanbul_time(client, bob, sim_settings):
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert "saat 00:00 UTC'de (İstanbul saatiyle 03:00) başlayan işlem gününü" in page
