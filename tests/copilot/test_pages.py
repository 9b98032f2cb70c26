"""The copilot pages render for users in Turkish and English, and need a login."""

from __future__ import annotations

import json

from tests.conftest import PASSWORD


def test_the_copilot_page_needs_a_login(client, db):
    res = client.get("/copilot-home")
    assert res.status_code == 302 and "/login/" in res["Location"]


def test_the_copilot_page_shows_presets_history_and_the_callers_permissions(
    client, alice, api, token_for
):
    api.post("/ai/chat", {"prompt": "açık emirler"}, token=token_for(alice))
    client.login(username="alice", password=PASSWORD)
    res = client.get("/copilot-home")
    html = res.content.decode()
    assert res.status_code == 200
    for key in ("preset-ws", "preset-dry", "preset-canary", "preset-risk"):
        assert f'data-testid="{key}"' in html
    page = json.loads(html.split('id="copilot-page" type="application/json">')[1].split("<")[0])
    assert "futures.place_order" in page["permissions"]
    assert page["actionPermissions"]["POST /futures/order.place"] == "futures.place_order"
    assert "açık emirler" in html  # the history is embedded


def test_the_pages_speak_turkish_by_default_and_english_on_request(client, alice):
    client.login(username="alice", password=PASSWORD)
    tr = client.get("/strategy-lab-copilot").content.decode()
    assert "Strateji fikri" in tr
    client.cookies["django_language"] = "en"
    en = client.get("/strategy-lab-copilot").content.decode()
    assert "Strategy idea" in en


def test_the_strategy_lab_lists_the_users_drafts(client, alice, api, token_for):
    api.post(
        "/ai/generate-strategy",
        {"prompt": "BTC 4h RSI trend", "save": True},
        token=token_for(alice),
    )
    client.login(username="alice", password=PASSWORD)
    html = client.get("/strategy-lab-copilot").content.decode()
    assert "BTCUSDT 4h" in html
