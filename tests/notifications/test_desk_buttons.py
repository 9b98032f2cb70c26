"""The Telegram desk: copilot sentences, Onayla/İptal buttons bound to user, chat and action."""

from __future__ import annotations

from decimal import Decimal

from audit.models import AuditEntry
from futures.models import Order
from notifications.models import DeskAction


def _buttons(message) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def _ask(telegram, desk, chat_id: int, sentence: str) -> dict:
    telegram.say(chat_id, sentence)
    desk()
    return telegram.sent(chat_id)[-1]


def test_a_sentence_comes_back_with_buttons_and_runs_only_on_onayla(
    exchange, alice, telegram, desk, link
):
    link(alice, 501)
    question = _ask(telegram, desk, 501, "0.01 ETH al")
    buttons = _buttons(question)
    assert set(buttons) == {"Onayla", "İptal"}
    assert not Order.objects.exists()  # nothing runs before the button

    query = telegram.press(501, question, buttons["Onayla"])
    desk()
    order = Order.objects.get()
    assert (order.symbol, order.side, order.quantity, order.user) == (
        "ETHUSDT",
        "BUY",
        Decimal("0.01"),
        alice,
    )
    assert order.dry_run  # the copilot's dry-run default stays
    assert telegram.answer_of(query)
    # The buttons are gone from the message, and the audit names the chat.
    assert _buttons(question_now(telegram, 501, question)) == {}
    placed = AuditEntry.objects.get(action="order.place", actor=alice)
    assert placed.client_ip == "telegram:501"
    assert AuditEntry.objects.filter(action="telegram.confirm", target="chat:501").exists()


def test_a_second_press_of_the_same_button_does_nothing(exchange, alice, telegram, desk, link):
    link(alice, 501)
    question = _ask(telegram, desk, 501, "0.01 ETH al")
    data = _buttons(question)["Onayla"]
    telegram.press(501, question, data)
    desk()
    again = telegram.press(501, question, data)
    desk()
    assert Order.objects.count() == 1
    assert "already used" in telegram.answer_of(again) or "kullanıldı" in telegram.answer_of(again)


def test_another_chats_button_is_refused(exchange, alice, olga, telegram, desk, link):
    link(alice, 501)
    link(olga, 502)  # an operator: more rights, still not alice's button
    question = _ask(telegram, desk, 501, "0.01 ETH al")
    data = _buttons(question)["Onayla"]
    refused = telegram.press(502, question, data)
    desk()
    assert not Order.objects.exists()
    assert telegram.answer_of(refused)
    assert DeskAction.objects.get().used_at is None  # still alice's to press
    assert AuditEntry.objects.filter(
        action="telegram.button", target="chat:502", outcome=AuditEntry.Outcome.DENIED
    ).exists()


def test_iptal_drops_the_action(exchange, alice, telegram, desk, link):
    link(alice, 501)
    question = _ask(telegram, desk, 501, "0.01 ETH al")
    telegram.press(501, question, _buttons(question)["İptal"])
    desk()
    telegram.press(501, question, _buttons(question)["Onayla"]) if _buttons(question) else None
    desk()
    assert not Order.objects.exists()
    assert DeskAction.objects.get().outcome == "cancelled"


def test_an_expired_button_does_nothing(exchange, alice, telegram, desk, link):
    from datetime import timedelta

    from django.utils import timezone

    link(alice, 501)
    question = _ask(telegram, desk, 501, "0.01 ETH al")
    DeskAction.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    telegram.press(501, question, _buttons(question)["Onayla"])
    desk()
    assert not Order.objects.exists()


def test_a_viewer_confirming_an_order_is_refused_by_the_roles(exchange, bob, telegram, desk, link):
    link(bob, 503)
    question = _ask(telegram, desk, 503, "0.01 ETH al")
    telegram.press(503, question, _buttons(question)["Onayla"])
    desk()
    assert not Order.objects.exists()
    assert "403" in telegram.sent(503)[-1]["text"]
    assert AuditEntry.objects.filter(actor=bob, outcome=AuditEntry.Outcome.DENIED).exists()


def test_commands_read_with_the_users_permissions(exchange, alice, telegram, desk, link):
    link(alice, 501)
    answer = _ask(telegram, desk, 501, "/risk")
    assert "Risk" in answer["text"] or "risk" in answer["text"]
    assert _buttons(answer) == {}


def test_live_close_from_telegram_closes_the_position_on_the_exchange(
    exchange, alice, telegram, desk, link, api, token_for
):
    from tests.support.stand_in import exchange_position

    token = token_for(alice)
    opened = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.02", "dryRun": False},
        token=token,
    )
    assert opened.status_code == 200, opened.content
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.02")
    api.get("/futures/positions", token=token)  # the position as Spark reads it
    link(alice, 501)
    question = _ask(telegram, desk, 501, "ETH pozisyonumu canlı kapat")
    telegram.press(501, question, _buttons(question)["Onayla"])
    desk()
    assert exchange_position(exchange, "ETHUSDT") == 0
    close = AuditEntry.objects.filter(action="order.place", actor=alice).order_by("-id").first()
    assert close.client_ip == "telegram:501"


def question_now(telegram, chat_id, question) -> dict:
    """The question message as the chat shows it now (after edits)."""
    return next(m for m in telegram.sent(chat_id) if m["message_id"] == question["message_id"])


def test_a_sentence_the_copilot_needs_more_words_for_runs_nothing(
    exchange, alice, telegram, desk, link
):
    link(alice, 501)
    answer = _ask(telegram, desk, 501, "ETH pozisyonumu kapat")  # no position: it asks back
    assert "status" not in answer["text"]  # /health was not called for a placeholder
    assert _buttons(answer) == {}
    assert "kapat" in answer["text"]


def test_a_stop_loss_from_telegram_is_the_positions_tp_sl_on_the_exchange(
    exchange, alice, telegram, desk, link, api, token_for
):
    token = token_for(alice)
    opened = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.02", "dryRun": False},
        token=token,
    )
    assert opened.status_code == 200, opened.content
    api.get("/futures/positions", token=token)  # the position as Spark reads it
    link(alice, 501)
    question = _ask(telegram, desk, 501, "ETH zarar durdur 3300 canlı")
    assert "/futures/position.protect" in question["text"]
    assert "3.300" in question["text"]  # the reply in Turkish figures
    algos = exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
    assert algos == []  # nothing before the button
    telegram.press(501, question, _buttons(question)["Onayla"])
    desk()
    (algo,) = exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
    assert algo["orderType"] == "STOP_MARKET" and algo["closePosition"] is True
    assert Decimal(algo["triggerPrice"]) == Decimal("3300")
    placed = AuditEntry.objects.filter(action="order.place", actor=alice).order_by("-id").first()
    assert placed.client_ip == "telegram:501"
