"""POST /ai/chat without page context resolves a sentence against the account's real state.

A real position, real open orders and a pending canary run on the stand-in; the copilot reads
them from Spark's rows (never from what the client claims), and its action, run through the
normal API, does exactly what its confirmation listed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.stand_in import exchange_position, run_canary

pytestmark = pytest.mark.django_db


def _place(api, token, **body):
    body = {"type": "MARKET", "dryRun": False, **body}
    response = api.post("/futures/order.place", body, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def _chat(api, token, prompt, context=None):
    payload = {"prompt": prompt}
    if context is not None:
        payload["context"] = context
    response = api.post("/ai/chat", payload, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def _hold(api, token, symbol="ETHUSDT", side="BUY", quantity="0.02"):
    _place(api, token, symbol=symbol, side=side, quantity=quantity)
    assert api.get("/futures/positions", token=token).status_code == 200  # Spark reads it


def test_it_closes_the_one_open_position_with_exactly_its_size(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token)
    answer = _chat(api, token, "ETH pozisyonumu kapat")
    assert answer["intent"] == "position.close"
    assert answer["action"]["body"] == {
        "symbol": "ETHUSDT",
        "side": "SELL",
        "type": "MARKET",
        "quantity": "0.02",
        "reduceOnly": True,
        "dryRun": True,
    }
    assert answer["confirm_required"] is True
    assert "0,02" in answer["reply"] and "reduce-only" in answer["reply"]
    # the page runs the confirmed action (live): the stand-in's position is flat afterwards
    _place(api, token, **{**answer["action"]["body"], "dryRun": False})
    assert exchange_position(exchange, "ETHUSDT") == 0


def test_a_sentence_without_a_symbol_acts_on_the_only_position(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token, side="SELL", quantity="0.025")
    answer = _chat(api, token, "pozisyonumu kapat")
    assert answer["action"]["body"]["symbol"] == "ETHUSDT"
    assert answer["action"]["body"]["side"] == "BUY"  # closing a short buys
    assert answer["action"]["body"]["quantity"] == "0.025"


def test_two_positions_make_a_question_with_a_button_for_each(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token)
    _hold(api, token, symbol="BNBUSDT", side="SELL", quantity="0.1")
    answer = _chat(api, token, "pozisyonumu kapat")
    assert answer["intent"] == "clarify"
    assert answer["action"]["method"] == "GET"
    assert [c["label"] for c in answer["choices"]] == ["BNBUSDT 0,1 short", "ETHUSDT 0,02 long"]
    # a button sends its prompt: that one resolves to a close of exactly that position
    again = _chat(api, token, answer["choices"][1]["prompt"])
    assert again["action"]["body"]["symbol"] == "ETHUSDT"
    assert again["action"]["body"]["quantity"] == "0.02"


def test_half_of_the_position_is_closed_rounded_to_the_step(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token, quantity="0.025")
    answer = _chat(api, token, "ETH pozisyonumun yarısını kapat")
    assert answer["intent"] == "position.close"
    assert answer["action"]["body"]["quantity"] == "0.012"  # 0.0125 down to the 0.001 step
    assert answer["confirm_required"] is True


def test_a_client_cannot_claim_a_position_it_does_not_hold(api, alice, token_for, exchange):
    token = token_for(alice)
    spoof = {"positions": [{"symbol": "BTCUSDT", "positionAmt": "5"}], "lastCanaryRunId": 999}
    close = _chat(api, token, "BTC pozisyonumu kapat", spoof)
    assert close["intent"] == "clarify"
    confirm = _chat(api, token, "canary onay", spoof)
    assert confirm["intent"] == "clarify"


def test_canary_confirm_takes_the_callers_latest_confirmable_run(
    api, alice, olga, token_for, exchange
):
    run = run_canary(api, token_for(alice))
    answer = _chat(api, token_for(alice), "canary onay")
    assert answer["intent"] == "canary.confirm"
    assert answer["action"]["body"] == {"runId": run["id"]}
    assert answer["confirm_required"] is True


def test_another_users_canary_run_is_not_offered_to_a_trader(api, alice, olga, token_for, exchange):
    run_canary(api, token_for(olga))
    assert _chat(api, token_for(alice), "canary onay")["intent"] == "clarify"


def _open_algos(exchange, symbol="ETHUSDT") -> list[dict]:
    """The stand-in's open conditional (algo) orders of symbol: what really reached it."""
    return exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol=symbol).json()


def _run(api, token, action, **overrides):
    """Run an answer's action as the page does after the confirmation (live when asked)."""
    body = {**action["body"], **overrides}
    response = api.post(action["path"], body, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_stop_loss_sentence_is_the_cockpits_tp_sl_on_the_position(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _hold(api, token)
    answer = _chat(api, token, "ETH stop loss 3300")
    assert answer["intent"] == "position.protect"
    assert answer["action"] == {
        "method": "POST",
        "path": "/futures/position.protect",
        "body": {"symbol": "ETHUSDT", "stopLoss": "3300", "dryRun": True},
    }
    assert answer["confirm_required"] is True
    assert answer["lang"] == "en"  # no Turkish word in it: answered in English
    assert "3,300" in answer["reply"] and "0.02" in answer["reply"]  # trigger and size listed
    turkish = _chat(api, token, "ETH'ye 3300'den zarar durdur koy")
    assert turkish["action"] == answer["action"]
    assert "3.300" in turkish["reply"] and "0,02" in turkish["reply"]
    assert _open_algos(exchange) == []  # the copilot itself ran nothing
    # the page runs the confirmed action live: the stand-in holds a closePosition stop
    done = _run(api, token, answer["action"], dryRun=False)
    assert [p["order"]["type"] for p in done["placed"]] == ["STOP_MARKET"]
    (algo,) = _open_algos(exchange)
    assert algo["closePosition"] is True
    assert algo["side"] == "SELL" and algo["orderType"] == "STOP_MARKET"
    assert Decimal(algo["triggerPrice"]) == Decimal("3300")
    # a take profit said next adds the other leg; the stop stays
    tp = _chat(api, token, "TP 3600")
    assert tp["action"]["body"] == {"symbol": "ETHUSDT", "takeProfit": "3600", "dryRun": True}
    _run(api, token, tp["action"], dryRun=False)
    kinds = {a["orderType"]: Decimal(a["triggerPrice"]) for a in _open_algos(exchange)}
    assert kinds == {"STOP_MARKET": Decimal("3300"), "TAKE_PROFIT_MARKET": Decimal("3600")}
    # moving the stop replaces it on the stand-in (one stop, at the new price)
    moved = _chat(api, token, "ETH zarar durdur 3250")
    _run(api, token, moved["action"], dryRun=False)
    kinds = {a["orderType"]: Decimal(a["triggerPrice"]) for a in _open_algos(exchange)}
    assert kinds == {"STOP_MARKET": Decimal("3250"), "TAKE_PROFIT_MARKET": Decimal("3600")}
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.02")  # nothing fired


def test_a_stop_said_as_a_plain_order_on_the_whole_long_is_position_protect(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _hold(api, token)
    whole = _chat(api, token, "ETH 0.02 sat stop 3300")
    assert whole["intent"] == "position.protect"
    assert whole["action"]["path"] == "/futures/position.protect"
    assert whole["action"]["body"] == {"symbol": "ETHUSDT", "stopLoss": "3300", "dryRun": True}
    # a named part cannot be a closePosition order: a reduce-only stop of exactly that part
    part = _chat(api, token, "ETH 0.01 sat stop 3300")
    assert part["action"]["path"] == "/futures/order.place"
    body = part["action"]["body"]
    assert body["reduceOnly"] is True and body["quantity"] == "0.01"
    assert body["type"] == "STOP_MARKET" and body["side"] == "SELL"
    # a stop above the mark of a long would fire at once: a question
    assert _chat(api, token, "ETH stop loss 3600")["intent"] == "clarify"


def test_a_trailing_sentence_trails_the_held_position_on_the_stand_in(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _hold(api, token)
    answer = _chat(api, token, "ETH %1 trailing stop")
    assert answer["intent"] == "position.trailing"
    assert answer["action"] == {
        "method": "POST",
        "path": "/futures/order.trailing",
        "body": {"symbol": "ETHUSDT", "callbackRate": "1", "quantity": "0.02", "dryRun": True},
    }
    assert answer["confirm_required"] is True
    _run(api, token, answer["action"], dryRun=False)
    (algo,) = _open_algos(exchange)
    assert algo["orderType"] == "TRAILING_STOP_MARKET" and algo["side"] == "SELL"
    assert algo["reduceOnly"] is True
    assert Decimal(algo["quantity"]) == Decimal("0.02")
    assert Decimal(algo["callbackRate"]) == Decimal("1")


def test_a_protective_sentence_without_a_position_places_nothing(api, alice, token_for, exchange):
    token = token_for(alice)
    for prompt in ("ETH stop loss 3300", "TP 3600", "ETH %1 trailing stop"):
        answer = _chat(api, token, prompt)
        assert answer["intent"] == "clarify", prompt
        assert answer["action"]["method"] == "GET", prompt
    assert _open_algos(exchange) == []


def test_a_notional_becomes_a_quantity_at_the_mark_price(api, alice, token_for, exchange):
    answer = _chat(api, token_for(alice), "100 dolarlık ETH al")
    assert answer["intent"] == "order.place"
    # 100 / 3400 = 0.0294..., rounded down to the 0.001 step
    assert answer["action"]["body"]["quantity"] == "0.029"
    assert answer["action"]["body"]["type"] == "MARKET"
    assert "3.400" in answer["reply"]


def test_a_share_of_the_balance_becomes_a_quantity(api, alice, token_for, exchange):
    token = token_for(alice)
    assert api.get("/futures/account", token=token).status_code == 200  # 10,000 available
    answer = _chat(api, token, "bakiyemin %1'i kadar ETH al")
    # 1 % of 10,000 = 100 USD at 3,400
    assert answer["action"]["body"]["quantity"] == "0.029"


def test_modify_points_at_the_callers_one_open_order(api, alice, olga, token_for, exchange):
    token = token_for(alice)
    placed = _place(
        api,
        token,
        symbol="ETHUSDT",
        side="SELL",
        type="LIMIT",
        quantity="0.01",
        price="3900",
        timeInForce="GTC",
    )
    # olga's order on the same symbol is not alice's to move
    _place(
        api,
        token_for(olga),
        symbol="ETHUSDT",
        side="SELL",
        type="LIMIT",
        quantity="0.01",
        price="3950",
        timeInForce="GTC",
    )
    answer = _chat(api, token, "ETH emrimin fiyatını 3800 yap")
    assert answer["intent"] == "order.modify"
    assert answer["needsEndpoint"] is False  # POST /futures/order.modify exists (issue 23)
    assert answer["confirm_required"] is True
    body = answer["action"]["body"]
    assert body["orderId"] == placed["order"]["orderId"]
    assert body["price"] == "3800" and body["quantity"] == "0.01"


def test_pnl_and_liquidation_questions_read_the_account(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token)
    pnl = _chat(api, token, "kârım ne kadar")
    assert pnl["intent"] == "pnl.summary"
    assert "Bugün gerçekleşen" in pnl["reply"]
    liq = _chat(api, token, "ETH likidasyon fiyatım ne")
    assert liq["intent"] == "position.liquidation"
    assert "ETHUSDT likidasyon fiyatı" in liq["reply"]


def test_a_negated_close_of_a_real_position_changes_nothing(api, alice, token_for, exchange):
    token = token_for(alice)
    _hold(api, token)
    for prompt in ("ETH pozisyonumu kapatma", "don't close my eth", "ETH'yi kapatsam mı?"):
        answer = _chat(api, token, prompt)
        assert answer["action"]["method"] == "GET", prompt
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.02")


def test_another_users_order_is_never_the_target(api, alice, olga, token_for, exchange):
    theirs = _place(
        api,
        token_for(olga),
        symbol="ETHUSDT",
        side="SELL",
        type="LIMIT",
        quantity="0.01",
        price="3950",
        timeInForce="GTC",
    )["order"]["orderId"]
    token = token_for(alice)
    # resolved from the account: olga's order and olga's canary run are never alice's target
    for prompt in ("ETH emrimin fiyatını 3800 yap", "olga'nın canary koşusunu onayla"):
        assert _chat(api, token, prompt)["action"]["method"] == "GET", prompt
    # named by its number: proposed with a warning; the API's owner check refuses it
    answer = _chat(api, token, f"ETH {theirs} nolu emri iptal et")
    assert answer["confirm_required"] is True
    assert "açık emirleriniz arasında yok" in answer["reply"]
    response = api.post(answer["action"]["path"], answer["action"]["body"], token=token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "NOT_OWNER"
    # olga herself (an operator) gets the plain cancel of her own order
    mine = _chat(api, token_for(olga), f"ETH {theirs} nolu emri iptal et")
    assert mine["action"]["body"] == {"symbol": "ETHUSDT", "orderId": theirs}
    assert "⚠" not in mine["reply"]


def test_a_viewer_gets_the_stop_loss_action_but_cannot_run_it(api, alice, bob, token_for, exchange):
    _hold(api, token_for(alice))
    viewer = token_for(bob)
    answer = _chat(api, viewer, "ETH stop loss 3300")
    assert answer["action"]["path"] == "/futures/position.protect"
    response = api.post(answer["action"]["path"], {**answer["action"]["body"], "dryRun": False},
                        token=viewer)  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert _open_algos(exchange) == []
