"""POST /ai/chat: the answer's shape, auth, history, guardrails and safety rules."""

from __future__ import annotations

import pytest

from copilot.models import ChatMessage

KEYS = {
    "intent",
    "action",
    "confirm_required",
    "reply",
    "lang",
    "suggestions",
    "choices",
    "defaults",
    "needsEndpoint",
    "mood",
}


def test_it_answers_a_seed_command_in_the_documented_shape(api, alice, token_for):
    res = api.post("/ai/chat", {"prompt": "0,05 ETH'yi piyasadan al"}, token=token_for(alice))
    assert res.status_code == 200
    body = res.json()
    assert set(body) == KEYS
    assert body["intent"] == "order.place"
    assert body["action"] == {
        "method": "POST",
        "path": "/futures/order.place",
        "body": {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.05",
            "dryRun": True,
        },
    }
    assert body["confirm_required"] is False
    assert body["lang"] == "tr"
    assert "ETHUSDT" in body["reply"] and "dry-run" in body["reply"]


def test_it_refuses_an_anonymous_caller(api, db):
    res = api.post("/ai/chat", {"prompt": "pozisyonlarım"})
    assert res.status_code == 401
    assert res.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_it_rejects_an_empty_prompt(api, alice, token_for):
    res = api.post("/ai/chat", {"prompt": ""}, token=token_for(alice))
    assert res.status_code == 422
    assert res.json()["error"]["code"] == "VALIDATION_ERROR"


def test_it_falls_back_to_health_with_suggestions_when_it_does_not_understand(api, bob, token_for):
    body = api.post("/ai/chat", {"prompt": "bugün hava nasıl"}, token=token_for(bob)).json()
    assert body["intent"] == "unknown"
    assert body["action"] == {"method": "GET", "path": "/health", "body": None}
    assert "anlayamadım" in body["reply"]
    assert "WS başlat" in body["suggestions"] and "portföy özeti" in body["suggestions"]


def test_a_live_order_needs_the_word_and_then_a_confirmation(api, alice, token_for):
    token = token_for(alice)
    dry = api.post("/ai/chat", {"prompt": "buy 0.01 btc"}, token=token).json()
    live = api.post("/ai/chat", {"prompt": "buy 0.01 btc live"}, token=token).json()
    assert dry["action"]["body"]["dryRun"] is True and dry["confirm_required"] is False
    assert live["action"]["body"]["dryRun"] is False and live["confirm_required"] is True
    assert live["lang"] == "en"


@pytest.mark.parametrize(
    "prompt",
    ["BTC tüm emirleri iptal et", "devre kesiciyi kapat", "canary 5 onayla"],
)
def test_destructive_actions_always_need_confirmation(api, olga, token_for, prompt):
    body = api.post("/ai/chat", {"prompt": prompt}, token=token_for(olga)).json()
    assert body["confirm_required"] is True


def test_an_order_reply_warns_about_an_open_breaker_stale_streams_and_rejects(
    api, alice, token_for
):
    context = {"breakerOpen": True, "streamsStale": True, "rejectRate": 0.4}
    body = api.post(
        "/ai/chat", {"prompt": "0,01 btc al", "context": context}, token=token_for(alice)
    ).json()
    assert body["intent"] == "order.place"  # the action stays, for the user to decide
    assert body["action"]["path"] == "/futures/order.place"
    assert "Devre kesici AÇIK" in body["reply"]
    assert "bayat" in body["reply"]
    assert "40%" in body["reply"]
    assert "devre kesiciyi kapat" in body["suggestions"]


def test_a_read_intent_carries_no_guardrail_warning(api, alice, token_for):
    body = api.post(
        "/ai/chat",
        {"prompt": "pozisyonlarım", "context": {"breakerOpen": True}},
        token=token_for(alice),
    ).json()
    assert "AÇIK" not in body["reply"]


def test_each_user_keeps_their_own_history(api, alice, bob, token_for):
    api.post("/ai/chat", {"prompt": "açık emirler"}, token=token_for(alice))
    api.post("/ai/chat", {"prompt": "metrics"}, token=token_for(alice))
    api.post("/ai/chat", {"prompt": "bakiyem"}, token=token_for(bob))
    assert ChatMessage.objects.filter(user=alice).count() == 2
    rows = api.get("/ai/history", token=token_for(alice)).json()
    assert [r["prompt"] for r in rows] == ["açık emirler", "metrics"]
    assert rows[0]["answer"]["action"]["path"] == "/futures/openOrders"
    assert [r["prompt"] for r in api.get("/ai/history", token=token_for(bob)).json()] == ["bakiyem"]


def test_the_command_table_is_served(api, db):
    rows = api.get("/ai/commands").json()
    intents = {r["intent"] for r in rows}
    assert {"order.place", "ws.start", "canary.confirm", "risk.breaker.close"} <= intents


def test_the_chat_never_runs_the_action(api, alice, token_for):
    from futures.models import Order

    api.post("/ai/chat", {"prompt": "0,01 btc al"}, token=token_for(alice))
    assert Order.objects.count() == 0
