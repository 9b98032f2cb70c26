"""The copilot on a hedge-mode account names the side of every action (issue 22).

The stand-in account is switched into hedge mode the way a trader does it on Binance (a signed
request with the sim key), with a LONG and a SHORT ETHUSDT position. Spark reads the mode and
the positions from the exchange; the copilot reads them from Spark (POST /ai/chat without page
context), never from what a client claims. Every opening, closing, TP/SL and trailing sentence
then carries positionSide and never reduceOnly; "close my ETH" with both sides open is a question
naming both; the positions answer lists each side as Uzun/Kısa (Long/Short). A one-way account is
answered exactly as before.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.models import Order
from futures.position_mode import position_mode_forget

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange(exchange):
    """The stand-in with no reading of another test's account mode carried over."""
    position_mode_forget()
    yield exchange
    position_mode_forget()


def _signed(sim, method: str, path: str, **params):
    response = sim.control.signed(method, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def _sides(sim) -> dict[str, Decimal]:
    rows = _signed(sim, "GET", "/fapi/v2/positionRisk", symbol="ETHUSDT")
    return {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows}


def _exchange_orders(sim) -> int:
    return len(_signed(sim, "GET", "/fapi/v1/allOrders", symbol="ETHUSDT"))


def _go_hedge(api, token, sim, long: str = "0.010", short: str = "0.020") -> None:
    """Hedge mode on the stand-in with the given sides open; Spark reads the positions."""
    assert sim.control.position_mode(True) == {"code": 200, "msg": "success"}
    for side, position_side, amount in (("BUY", "LONG", long), ("SELL", "SHORT", short)):
        if Decimal(amount):
            _signed(
                sim,
                "POST",
                "/fapi/v1/order",
                symbol="ETHUSDT",
                side=side,
                type="MARKET",
                quantity=amount,
                positionSide=position_side,
            )
    assert api.get("/futures/positions", token=token).status_code == 200  # Spark reads them


def _chat(api, token, prompt, context=None, lang=None) -> dict:
    payload = {"prompt": prompt}
    if context is not None:
        payload["context"] = context
    if lang is not None:
        payload["context"] = {**payload.get("context", {}), "lang": lang}
    response = api.post("/ai/chat", payload, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def _run(api, token, answer, **override):
    action = answer["action"]
    assert action["method"] == "POST"
    return api.post(action["path"], {**action["body"], **override}, token=token)


HEDGE_SENTENCES = [
    # opening and adding: BUY on LONG, SELL on SHORT
    (
        "ETH long aç 0.01",
        "order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01", "positionSide": "LONG"},
    ),
    (
        "open a 0.01 ETH long",
        "order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01", "positionSide": "LONG"},
    ),
    (
        "ETH short aç 0,01",
        "order.place",
        {"symbol": "ETHUSDT", "side": "SELL", "quantity": "0.01", "positionSide": "SHORT"},
    ),
    (
        "open a 0.01 eth short",
        "order.place",
        {"symbol": "ETHUSDT", "side": "SELL", "quantity": "0.01", "positionSide": "SHORT"},
    ),
    (
        "ETH long pozisyonuma 0.01 ekle",
        "order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01", "positionSide": "LONG"},
    ),
    (
        "long pozisyonuma 0.01 ekle",  # no symbol: the one open long's
        "order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01", "positionSide": "LONG"},
    ),
    # closing one side: SELL on LONG, BUY on SHORT, exactly that side's size
    (
        "ETH long pozisyonumu kapat",
        "position.close",
        {"symbol": "ETHUSDT", "side": "SELL", "quantity": "0.01", "positionSide": "LONG"},
    ),
    (
        "close my ETH short",
        "position.close",
        {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.02", "positionSide": "SHORT"},
    ),
    (
        "ETH short pozisyonumun yarısını kapat",
        "position.close",
        {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01", "positionSide": "SHORT"},
    ),
    # TP/SL and trailing on a named side
    (
        "ETH long pozisyonuma stop loss 3000",
        "position.protect",
        {"symbol": "ETHUSDT", "stopLoss": "3000", "positionSide": "LONG"},
    ),
    (
        "take profit 3000 on my eth short",
        "position.protect",
        {"symbol": "ETHUSDT", "takeProfit": "3000", "positionSide": "SHORT"},
    ),
    (
        "ETH short %1 trailing stop",
        "position.trailing",
        {"symbol": "ETHUSDT", "callbackRate": "1", "quantity": "0.02", "positionSide": "SHORT"},
    ),
]


@pytest.mark.parametrize(("prompt", "intent", "fields"), HEDGE_SENTENCES)
def test_a_hedge_sentence_names_its_side_and_never_reduce_only(
    api, alice, token_for, exchange, prompt, intent, fields
):
    token = token_for(alice)
    _go_hedge(api, token, exchange)
    sent = _exchange_orders(exchange)

    answer = _chat(api, token, prompt)

    assert answer["intent"] == intent, answer["reply"]
    body = answer["action"]["body"]
    assert {k: body.get(k) for k in fields} == fields
    assert "reduceOnly" not in body
    assert body["dryRun"] is True
    # the reply says which side, in the sentence's language
    side = fields["positionSide"]
    if answer["lang"] == "tr":
        assert {"LONG": "Uzun", "SHORT": "Kısa"}[side] in answer["reply"]
        assert "reduce-only" not in answer["reply"]
    else:
        assert {"LONG": "long", "SHORT": "short"}[side] in answer["reply"]
    # the copilot runs nothing
    assert _exchange_orders(exchange) == sent


@pytest.mark.parametrize(
    ("prompt", "asked", "labels"),
    [
        (
            "ETH pozisyonumu kapat",
            ["Uzun 0,01", "Kısa 0,02", "Uzun mu, Kısa mı?"],
            ["ETHUSDT Uzun 0,01", "ETHUSDT Kısa 0,02"],
        ),
        (
            "close my eth position",
            ["long 0.01", "short 0.02", "the long or the short?"],
            ["ETHUSDT Long 0.01", "ETHUSDT Short 0.02"],
        ),
        (
            "ETH %1 iz süren stop",
            ["Uzun 0,01", "Kısa 0,02"],
            ["ETHUSDT Uzun 0,01", "ETHUSDT Kısa 0,02"],
        ),
        (
            "close 0.005 of my eth",
            ["long 0.01", "short 0.02"],
            ["ETHUSDT Long 0.01", "ETHUSDT Short 0.02"],
        ),
    ],
)
def test_both_sides_open_and_none_named_is_a_question_naming_both(
    api, alice, token_for, exchange, prompt, asked, labels
):
    token = token_for(alice)
    _go_hedge(api, token, exchange)

    answer = _chat(api, token, prompt)

    assert answer["intent"] == "clarify"
    assert answer["action"] == {"method": "GET", "path": "/health", "body": None}
    assert all(words in answer["reply"] for words in asked), answer["reply"]
    assert [c["label"] for c in answer["choices"]] == labels
    # each button's sentence names its side, and resolves to that side only
    sides = []
    for choice in answer["choices"]:
        again = _chat(api, token, choice["prompt"])
        assert again["intent"] != "clarify", again["reply"]
        sides.append(again["action"]["body"]["positionSide"])
    assert sides == ["LONG", "SHORT"]


def test_with_one_side_open_an_unnamed_close_closes_that_side(api, alice, token_for, exchange):
    token = token_for(alice)
    _go_hedge(api, token, exchange, long="0", short="0.020")

    answer = _chat(api, token, "ETH pozisyonumu kapat")

    assert answer["intent"] == "position.close"
    assert answer["action"]["body"] == {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "0.02",
        "positionSide": "SHORT",
        "dryRun": True,
    }
    assert "Kısa" in answer["reply"] and "0,02" in answer["reply"]
    # the side that is not open is said to be not open: no order against nothing
    none = _chat(api, token, "ETH long pozisyonumu kapat")
    assert none["intent"] == "clarify" and "Uzun" in none["reply"]


def test_a_plain_sell_while_a_long_is_open_asks_whether_to_open_a_short_or_reduce(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    _go_hedge(api, token, exchange, long="0.010", short="0")

    answer = _chat(api, token, "ETH 0.01 sat")

    assert answer["intent"] == "clarify"
    assert "Kısa" in answer["reply"] and "Uzun" in answer["reply"]
    bodies = [_chat(api, token, c["prompt"])["action"]["body"] for c in answer["choices"]]
    assert [(b["side"], b["positionSide"], b["quantity"]) for b in bodies] == [
        ("SELL", "SHORT", "0.01"),
        ("SELL", "LONG", "0.01"),
    ]
    # "reduce-only" words on a hedge account close the side, without reduceOnly
    reduce = _chat(api, token, "reduce only 0.005 ETH sat")
    assert reduce["action"]["body"]["positionSide"] == "LONG"
    assert "reduceOnly" not in reduce["action"]["body"]


@pytest.mark.parametrize(
    ("prompt", "shown"),
    [
        (
            "pozisyonlarım",
            ["ETHUSDT Uzun 0,01", "ETHUSDT Kısa 0,02", "çift yönlü pozisyon modunda"],
        ),
        ("show my positions", ["ETHUSDT Long 0.01", "ETHUSDT Short 0.02", "hedge mode"]),
    ],
)
def test_the_positions_answer_lists_both_sides_with_their_labels(
    api, alice, token_for, exchange, prompt, shown
):
    token = token_for(alice)
    _go_hedge(api, token, exchange)

    answer = _chat(api, token, prompt)

    assert answer["intent"] == "positions.list"
    assert all(words in answer["reply"] for words in shown), answer["reply"]
    if answer["lang"] == "tr":
        assert "Long" not in answer["reply"] and "Short" not in answer["reply"]


def test_a_sentence_run_as_a_dry_run_places_on_the_side_it_named(api, alice, token_for, exchange):
    token = token_for(alice)
    _go_hedge(api, token, exchange)
    sent = _exchange_orders(exchange)

    answer = _chat(api, token, "ETH short aç 0.01")
    response = _run(api, token, answer)

    assert response.status_code == 200, response.content
    order = response.json()["order"]
    assert (order["side"], order["positionSide"], order["dryRun"]) == ("SELL", "SHORT", True)
    assert _exchange_orders(exchange) == sent  # a dry run sends nothing
    assert _sides(exchange) == {"LONG": Decimal("0.010"), "SHORT": Decimal("-0.020")}


def test_a_live_close_closes_only_the_side_it_named(api, alice, token_for, exchange):
    token = token_for(alice)
    _go_hedge(api, token, exchange)

    answer = _chat(api, token, "gerçek emirle ETH long pozisyonumu kapat")
    assert answer["confirm_required"] is True
    assert answer["action"]["body"]["dryRun"] is False
    response = _run(api, token, answer)

    assert response.status_code == 200, response.content
    assert _sides(exchange) == {"LONG": Decimal(0), "SHORT": Decimal("-0.020")}
    row = Order.objects.get(position_side="LONG", side="SELL")
    assert (row.reduce_only, row.dry_run) == (False, False)
    # the same confirmed action again (a double click): nothing left on that side to close,
    # the exchange refuses it and the short is untouched
    again = _run(api, token, answer)
    assert again.status_code == 422, again.content
    assert again.json()["error"]["details"]["exchangeCode"] == -2022
    assert _sides(exchange) == {"LONG": Decimal(0), "SHORT": Decimal("-0.020")}
    # Spark reads the close: the short is all the copilot sees now
    assert api.get("/futures/positions", token=token).status_code == 200
    again = _chat(api, token, "ETH pozisyonumu kapat")
    assert again["action"]["body"]["positionSide"] == "SHORT"


def test_a_viewer_gets_the_answer_but_running_it_is_refused_and_nothing_moves(
    api, alice, bob, token_for, exchange
):
    _go_hedge(api, token_for(alice), exchange)
    sent = _exchange_orders(exchange)

    answer = _chat(api, token_for(bob), "ETH long pozisyonumu kapat")
    assert answer["action"]["body"]["positionSide"] == "LONG"
    response = _run(api, token_for(bob), answer, dryRun=False)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert _exchange_orders(exchange) == sent
    assert _sides(exchange) == {"LONG": Decimal("0.010"), "SHORT": Decimal("-0.020")}


def test_a_client_cannot_claim_a_one_way_account_or_its_positions(api, alice, token_for, exchange):
    token = token_for(alice)
    _go_hedge(api, token, exchange)
    claimed = {
        "positionMode": "one-way",
        "positions": [{"symbol": "ETHUSDT", "positionAmt": "5", "positionSide": "BOTH"}],
    }

    answer = _chat(api, token, "ETH long pozisyonumu kapat", context=claimed)

    body = answer["action"]["body"]
    assert (body["positionSide"], body["quantity"]) == ("LONG", "0.01")
    assert "reduceOnly" not in body


def test_a_one_way_account_is_answered_as_before(api, alice, token_for, exchange):
    token = token_for(alice)
    placed = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.02", "dryRun": False},
        token=token,
    )
    assert placed.status_code == 200, placed.content
    assert api.get("/futures/positions", token=token).status_code == 200

    opening = _chat(api, token, "ETH long aç 0.01")
    assert opening["action"]["body"] == {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "0.01",
        "dryRun": True,
    }
    closing = _chat(api, token, "ETH pozisyonumu kapat")
    assert closing["action"]["body"] == {
        "symbol": "ETHUSDT",
        "side": "SELL",
        "type": "MARKET",
        "quantity": "0.02",
        "reduceOnly": True,
        "dryRun": True,
    }
    listing = _chat(api, token, "pozisyonlarım")
    assert listing["reply"] == "Pozisyonlar getiriliyor."
    # and the one-way close runs as it always did
    assert _run(api, token, closing, dryRun=False).status_code == 200
    assert _sides(exchange) == {"BOTH": Decimal(0)}


@pytest.mark.parametrize(
    ("prompt", "position_side", "order_side"),
    [
        ("ETH long pozisyonuma zarar durdur 3000", "LONG", "SELL"),
        ("take profit 3000 on my eth short", "SHORT", "BUY"),
        ("ETH short %1 trailing stop", "SHORT", "BUY"),
    ],
)
def test_a_protecting_sentence_run_as_a_dry_run_guards_the_side_it_named(
    api, alice, token_for, exchange, prompt, position_side, order_side
):
    token = token_for(alice)
    _go_hedge(api, token, exchange)
    sent = _exchange_orders(exchange)

    answer = _chat(api, token, prompt)
    assert answer["action"]["body"]["positionSide"] == position_side
    response = _run(api, token, answer)

    assert response.status_code == 200, response.content
    data = response.json()
    placed = [p["order"] for p in data["placed"]] if "placed" in data else [data["order"]]
    assert [(o["positionSide"], o["side"], o["dryRun"]) for o in placed] == [
        (position_side, order_side, True)
    ]
    assert not any(o["reduceOnly"] for o in placed)
    assert _exchange_orders(exchange) == sent


def test_a_mode_switched_on_the_exchange_is_followed_and_a_stale_answer_is_refused(
    api, alice, token_for, exchange, settings
):
    token = token_for(alice)
    _go_hedge(api, token, exchange, long="0.010", short="0")
    stale = _chat(api, token, "ETH long aç 0.01")
    assert stale["action"]["body"]["positionSide"] == "LONG"

    # the trader closes the long and switches to one-way on Binance, behind Spark's back
    _signed(
        exchange,
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side="SELL",
        type="MARKET",
        quantity="0.010",
        positionSide="LONG",
    )
    assert exchange.control.position_mode(False) == {"code": 200, "msg": "success"}
    settings.SPARK_POSITION_MODE_MAX_AGE = 0  # the next reading goes to the exchange
    sent = _exchange_orders(exchange)

    # the answer given for hedge mode is refused, nothing sent
    refused = _run(api, token, stale, dryRun=False)
    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["code"] == "POSITION_SIDE_MISMATCH"
    assert _exchange_orders(exchange) == sent
    # the copilot reads the mode again: the same sentence is a one-way order now
    fresh = _chat(api, token, "ETH long aç 0.01")
    assert "positionSide" not in fresh["action"]["body"]
    assert _run(api, token, fresh).status_code == 200


def test_a_liquidation_answer_names_each_side(api, alice, token_for, exchange):
    token = token_for(alice)
    _go_hedge(api, token, exchange)

    answer = _chat(api, token, "ETH likidasyon fiyatım")

    assert answer["intent"] == "position.liquidation"
    assert "ETHUSDT Uzun likidasyon" in answer["reply"], answer["reply"]
    assert "ETHUSDT Kısa likidasyon" in answer["reply"], answer["reply"]
