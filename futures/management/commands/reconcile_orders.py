"""python manage.py reconcile_orders: bring local orders, fills and positions in line."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from futures.reconcile import reconcile_orders


class Command(BaseCommand):
    help = "Compare local orders with the exchange, fix their states, record fills, audit changes."

    def handle(self, *args, **options):
        report = reconcile_orders(actor="system")
        self.stdout.write(json.dumps(report, indent=2, default=str))
        if report["errors"]:
            self.stderr.write(f"{len(report['errors'])} error(s) during reconciliation")
