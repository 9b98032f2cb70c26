"""Check the canary evidence chain; name the first broken link and exit non-zero."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from canary.evidence import verify


class Command(BaseCommand):
    help = "Verify the canary evidence hash chain; exit 1 naming the first broken link."

    def handle(self, *args, **options):
        checked, broken = verify()
        if broken is not None:
            raise CommandError(
                f"canary evidence chain BROKEN after {checked} good link(s): first broken link "
                f"is {broken}"
            )
        self.stdout.write(f"canary evidence chain OK: {checked} link(s) verified")
