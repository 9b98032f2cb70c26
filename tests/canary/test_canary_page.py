"""The /canary/ page: runs with status and evidence; buttons only for those who may use them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from canary import evidence
from canary.models import CanaryRun
from tests.support.english import english_in, visible_strings

pytestmark = pytest.mark.django_db


def simulated_run(user) -> CanaryRun:
    run = CanaryRun.objects.create(
        started_by=user,
        started_by_name=user.get_username(),
        environment="sim",
        request={"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.008"},
        symbol="ETHUSDT",
        side="BUY",
        quantity="0.008",
        expires_at=timezone.now() + timezone.timedelta(minutes=10),
        status="SIMULATED",
        simulated_fill={"price": "3400.68", "qty": "0.008", "slippageBps": "2"},
    )
    evidence.append(run, {"runId": run.pk}, stage="SIMULATED")
    return run


def test_a_trader_sees_runs_with_evidence_and_both_buttons(client, alice):
    run = simulated_run(alice)
    client.force_login(alice)
    html = client.get("/canary/").content.decode()
    assert f'data-run-id="{run.pk}"' in html and "SIMULATED" in html
    assert f"/canary/runs/{run.pk}/evidence" in html
    assert 'id="canary-run"' in html and "confirm-button" in html
    assert 'id="confirm-dialog"' in html  # confirm asks again before sending


def test_a_viewer_sees_runs_but_no_buttons(client, alice, bob):
    simulated_run(alice)
    client.force_login(bob)
    html = client.get("/canary/").content.decode()
    assert "SIMULATED" in html
    assert 'id="canary-run"' not in html and 'class="buy confirm-button"' not in html


def test_on_a_live_exchange_the_confirm_button_is_not_offered(client, alice, settings):
    simulated_run(alice)
    settings.BINANCE_FUTURES_BASE_URL = "https://fapi.binance.com"
    settings.BINANCE_FUTURES_RESOLVED_ENV = "live"
    client.force_login(alice)
    html = client.get("/canary/").content.decode()
    assert 'class="buy confirm-button"' not in html and 'id="live-warning"' in html


def test_private_reads_send_anonymous_visitors_to_login(client, settings):
    settings.SPARK_PUBLIC_READS = False
    response = client.get("/canary/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_hedge_run_shows_its_side_in_turkish(client, alice):
    run = simulated_run(alice)
    CanaryRun.objects.filter(pk=run.pk).update(position_mode="hedge", position_side="SHORT")
    one_way = simulated_run(alice)
    CanaryRun.objects.filter(pk=one_way.pk).update(position_mode="one-way", position_side="BOTH")
    client.force_login(alice)
    html = client.get("/canary/").content.decode()
    row = html.split(f'data-run-id="{run.pk}"')[1].split("</tr>")[0]
    assert "(Kısa)" in row
    plain = html.split(f'data-run-id="{one_way.pk}"')[1].split("</tr>")[0]
    assert "(" not in plain.split("</td>")[3]  # a one-way run names no side
    assert english_in(visible_strings(html)) == []
