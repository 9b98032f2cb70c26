"""The command reference in docs/ is the parser's own table, regenerated (it cannot drift)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

from copilot.parser import COMMANDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "copilot-commands.md"


def run(fmt: str) -> str:
    out = io.StringIO()
    call_command("copilot_commands", "--format", fmt, stdout=out)
    return out.getvalue()


def test_the_markdown_reference_in_docs_is_up_to_date(settings):
    settings.SPARK_STREAM_SYMBOLS = ["BTCUSDT", "ETHUSDT"]
    assert DOC.read_text(encoding="utf-8") == run("md"), (
        "regenerate: python manage.py copilot_commands --format md > docs/copilot-commands.md"
    )


def test_every_intent_is_in_the_reference_with_its_endpoint():
    text = run("md")
    for c in COMMANDS:
        path = c.path if c.available else f"(pending) {c.path}"  # the cockpit issue's routes
        assert f"| `{c.intent}` | `{c.method} {path}` |" in text


def test_the_json_format_lists_every_row():
    rows = json.loads(run("json"))
    assert [r["intent"] for r in rows] == [c.intent for c in COMMANDS]


# what the examples of the account intents (protect, trailing, modify) act on
ACCOUNT = {
    "positions": [
        {"symbol": "ETHUSDT", "positionAmt": "0.02", "markPrice": "3400"},
        {"symbol": "BTCUSDT", "positionAmt": "0.002", "markPrice": "65000"},
    ],
    "openOrders": [
        {"symbol": "ETHUSDT", "orderId": 81, "side": "SELL", "quantity": "0.01", "price": "3900"}
    ],
}


def test_every_example_of_the_table_gives_its_own_intent():
    from copilot.parser import interpret

    for c in COMMANDS:
        for example in c.examples:
            needs_account = c.intent in ("position.protect", "position.trailing", "order.modify")
            context = ACCOUNT if needs_account else {}
            assert interpret(example, context)["intent"] == c.intent, example
