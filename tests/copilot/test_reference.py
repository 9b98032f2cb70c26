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
        assert f"| `{c.intent}` | `{c.method} {c.path}` |" in text


def test_the_json_format_lists_every_row():
    rows = json.loads(run("json"))
    assert [r["intent"] for r in rows] == [c.intent for c in COMMANDS]


def test_every_example_of_the_table_gives_its_own_intent():
    from copilot.parser import interpret

    for c in COMMANDS:
        for example in c.examples:
            assert interpret(example, {})["intent"] == c.intent, example
