"""python manage.py sync_income: book the exchange's income history missing from the ledger."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.services import record
from futures.binance.errors import BinanceError
from futures.income import MAX_SPAN, income_sync


class Command(BaseCommand):
    help = (
        "Read GET /fapi/v1/income (every type, paged by time) and book fills, commissions, "
        "funding and transfers not in the ledger yet; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help="hours to look back (default: from the newest booked entry, at most 7 days)",
        )

    def handle(self, *args, hours=None, **options):
        start_ms = None
        if hours is not None:
            if not 1 <= hours <= MAX_SPAN.days * 24:
                raise CommandError(f"--hours must be between 1 and {MAX_SPAN.days * 24}")
            start_ms = int((timezone.now() - timedelta(hours=hours)).timestamp() * 1000)
        try:
            done = income_sync(start_ms=start_ms)
        except BinanceError as exc:
            raise CommandError(f"the exchange refused the income read: {exc}") from exc
        record(actor="system", action="ledger.sync", target="income", payload=done.audit_doc())
        self.stdout.write(json.dumps(done.audit_doc(), indent=2))
