"""The held-out evaluation set: ≥ 95 % on intent, method, path and every body field."""

from __future__ import annotations

import pytest

from copilot.parser import interpret
from tests.copilot.heldout_set import CASES as PART_1
from tests.copilot.heldout_set_2 import CASES as PART_2
from tests.copilot.test_intent_eval import expected_action


@pytest.mark.parametrize("part", [PART_1, PART_2], ids=["part 1", "part 2"])
def test_the_held_out_set_reaches_95_percent_on_the_whole_action(part, capsys):
    CASES = part  # noqa: N806 - the set under test
    failures = []
    for prompt, intent, body, context in CASES:
        answer = interpret(prompt, context)
        if answer["intent"] != intent or answer["action"] != expected_action(intent, body):
            failures.append(f"{prompt!r}: {answer['intent']} {answer['action']['body']}")
    correct = len(CASES) - len(failures)
    accuracy = 100.0 * correct / len(CASES)
    with capsys.disabled():
        print(f"\ncopilot held-out accuracy: {correct}/{len(CASES)} = {accuracy:.1f}%")
        for failure in failures:
            print("  miss:", failure)
    assert len(CASES) >= 50
    assert accuracy >= 95.0, "\n".join(failures)
