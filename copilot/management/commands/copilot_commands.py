"""Print the copilot command reference (Markdown or JSON) from the parser's table."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from copilot.reference import render_json, render_markdown


class Command(BaseCommand):
    help = "Print the copilot command reference from the parser's own table."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("md", "json"), default="md")

    def handle(self, *args, **options):
        text = render_markdown() if options["format"] == "md" else render_json()
        self.stdout.write(text, ending="")
