"""The safety set: no negation, question, hypothetical, unplaceable number or other user's
object produces an action that changes anything (100 %, with and without account state)."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.parser import interpret

DATA = Path(__file__).parent / "data" / "safety_set.txt"


def _sentences() -> list[tuple[str, str]]:
    rows, category = [], ""
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            category = line[3:]
        elif line.strip() and not line.startswith("#"):
            rows.append((category, line.strip()))
    return rows


SENTENCES = _sentences()
# an account that holds something to act on: a long, a short, an open order, a pending canary
ACCOUNT = {
    "positions": [
        {"symbol": "ETHUSDT", "positionAmt": "0.02", "markPrice": "3400"},
        {"symbol": "BTCUSDT", "positionAmt": "-0.002", "markPrice": "65000"},
    ],
    "openOrders": [
        {"symbol": "ETHUSDT", "orderId": 81, "side": "SELL", "quantity": "0.01", "price": "3900"}
    ],
    "lastCanaryRunId": 7,
    "marks": {"ETHUSDT": "3400", "BTCUSDT": "65000"},
    "balance": {"availableBalance": "1000"},
}


def test_the_safety_set_has_at_least_100_sentences_of_every_kind():
    assert len(SENTENCES) >= 100
    kinds = {c.split(",")[0] for c, _ in SENTENCES}
    assert {"negation", "questions", "hypotheticals", "numbers that cannot be placed"} <= kinds


@pytest.mark.parametrize("context", [None, ACCOUNT], ids=["no account", "with account"])
def test_not_one_sentence_of_the_safety_set_changes_anything(context, capsys):
    failures = []
    for category, prompt in SENTENCES:
        answer = interpret(prompt, context)
        action = answer["action"]
        if action["method"] != "GET" or answer["intent"] in ("order.place", "position.close"):
            failures.append(f"[{category}] {prompt!r} -> {answer['intent']} {action}")
    safe = len(SENTENCES) - len(failures)
    with capsys.disabled():
        print(f"\ncopilot safety set: {safe}/{len(SENTENCES)} = {100 * safe / len(SENTENCES):.1f}%")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("category", ["negation", "questions", "hypotheticals"])
def test_a_refused_sentence_says_why_in_the_users_language(category):
    for found, prompt in SENTENCES:
        if not found.startswith(category):
            continue
        answer = interpret(prompt, ACCOUNT)
        if answer["intent"] == "clarify" and answer["mood"]:
            assert answer["reply"], prompt
            assert answer["lang"] in ("tr", "en")


def test_the_plain_commands_beside_the_safety_set_still_act():
    """The rules refuse the negated sentence, not the command: each positive twin still acts."""
    twins = [
        ("ETH al 0,01", "order.place"),
        ("buy 0.01 eth", "order.place"),
        ("ETH pozisyonumu kapat", "position.close"),
        ("close my eth position", "position.close"),
        ("BTC kaldıraç 10x", "leverage.set"),
        ("canary onay", "canary.confirm"),
        ("satın alma emri 0.01 btc", "order.place"),
        ("ETH'yi 0,01 alsana", "order.place"),
        ("I would like to buy 0.01 eth", "order.place"),
    ]
    for prompt, intent in twins:
        assert interpret(prompt, ACCOUNT)["intent"] == intent, prompt
