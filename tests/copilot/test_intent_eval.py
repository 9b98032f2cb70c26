"""The intent-evaluation set: every sentence must give its expected action (accuracy 100%)."""

from __future__ import annotations

from urllib.parse import urlencode

from copilot.parser import COMMANDS_BY_INTENT, interpret
from copilot.safety import ALWAYS_CONFIRM as CONFIRM_ALWAYS
from tests.copilot.eval_set import CASES


def expected_action(intent: str, body) -> dict:
    """The action of intent; for a GET, body names the query that rides in its path."""
    command = COMMANDS_BY_INTENT[intent]
    if command.method == "GET" and body:
        return {"method": "GET", "path": f"{command.path}?{urlencode(body)}", "body": None}
    return {"method": command.method, "path": command.path, "body": body}


def check(prompt, intent, body, context) -> list[str]:
    answer = interpret(prompt, context)
    problems = []
    if answer["intent"] != intent:
        problems.append(f"intent {answer['intent']!r} != {intent!r}")
    if answer["action"] != expected_action(intent, body):
        problems.append(f"action {answer['action']} != {expected_action(intent, body)}")
    live = isinstance(body, dict) and body.get("dryRun") is False
    want_confirm = intent in CONFIRM_ALWAYS or live
    if answer["confirm_required"] != want_confirm:
        problems.append(f"confirm_required {answer['confirm_required']} != {want_confirm}")
    return problems


def test_the_evaluation_set_has_at_least_150_sentences_in_both_languages():
    assert len(CASES) >= 150
    langs = [interpret(p, c)["lang"] for p, _, _, c in CASES]
    assert langs.count("tr") >= 60 and langs.count("en") >= 60


def test_every_sentence_of_the_evaluation_set_gives_its_expected_action(capsys):
    failures = []
    for prompt, intent, body, context in CASES:
        problems = check(prompt, intent, body, context)
        if problems:
            failures.append(f"{prompt!r}: " + "; ".join(problems))
    correct = len(CASES) - len(failures)
    accuracy = 100.0 * correct / len(CASES)
    with capsys.disabled():  # shown in the test output even when the test passes
        print(f"\ncopilot intent accuracy: {correct}/{len(CASES)} = {accuracy:.1f}%")
    assert not failures, "\n".join(failures)


def test_every_intent_of_the_table_is_covered_by_the_evaluation_set():
    covered = {intent for _, intent, _, _ in CASES}
    assert set(COMMANDS_BY_INTENT) - covered == set()
