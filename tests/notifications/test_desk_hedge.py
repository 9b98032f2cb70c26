"""The Telegram desk on a hedge-mode account: the copilot's side goes with every answer.

The desk asks the copilot, which reads the mode and the positions per side from Spark; a close
names its side in the chat, both sides open is a question naming both, and Onayla closes only
the side named on the stand-in.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.position_mode import position_mode_forget
from tests.support.hedge import go_hedge, sent, sides


@pytest.fixture
def hedge(exchange, alice, api, token_for):
    """ETHUSDT LONG 0.02 and SHORT 0.01 on the stand-in, read by Spark."""
    go_hedge(exchange)
    assert api.get("/futures/positions", token=token_for(alice)).status_code == 200
    yield exchange
    position_mode_forget()


def _buttons(message) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def _ask(telegram, desk, chat_id: int, sentence: str) -> dict:
    telegram.say(chat_id, sentence)
    desk()
    return telegram.sent(chat_id)[-1]


def test_both_sides_open_is_a_question_naming_both_and_nothing_runs(
    hedge, alice, telegram, desk, link
):
    link(alice, 501)
    before = sent(hedge)

    question = _ask(telegram, desk, 501, "ETH pozisyonumu canlı kapat")

    assert "Uzun 0,02" in question["text"] and "Kısa 0,01" in question["text"]
    assert _buttons(question) == {}
    assert sent(hedge) == before
    listing = _ask(telegram, desk, 501, "pozisyonlarım")
    assert "ETHUSDT Uzun 0,02" in listing["text"] and "ETHUSDT Kısa 0,01" in listing["text"]


def test_onayla_closes_only_the_side_the_sentence_named(hedge, alice, telegram, desk, link):
    link(alice, 501)

    question = _ask(telegram, desk, 501, "ETH short pozisyonumu canlı kapat")
    assert "Kısa" in question["text"] and '"positionSide": "SHORT"' in question["text"]
    assert "reduceOnly" not in question["text"]
    telegram.press(501, question, _buttons(question)["Onayla"])
    desk()

    assert sides(hedge) == {"LONG": Decimal("0.020"), "SHORT": Decimal(0)}
