"""Take a portfolio snapshot now (for cron / a systemd timer), then thin the old ones."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from portfolio.services import portfolio_refresh, snapshots_thin


class Command(BaseCommand):
    help = "Read every configured exchange, store a valued snapshot and thin old snapshots."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Repeat every N seconds until interrupted (0: once).",
        )
        parser.add_argument("--no-thin", action="store_true", help="Do not thin old snapshots.")

    def handle(self, *args, every: float = 0, no_thin: bool = False, **options):
        if every < 0:
            raise CommandError("--every must be >= 0")
        while True:
            snap = portfolio_refresh()
            deleted = 0 if no_thin else snapshots_thin()
            failed = {e: s["error"]["code"] for e, s in snap.sources.items() if s.get("error")}
            self.stdout.write(
                f"snapshot {snap.id} total_usd={snap.total_usd} partial={snap.partial} "
                f"failed={failed or '-'} thinned={deleted} latency_ms={snap.latency_ms}"
            )
            if not every:
                return
            time.sleep(every)
