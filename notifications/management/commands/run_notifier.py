"""`manage.py run_notifier`: the delivery worker and the Telegram desk as their own process.

Set SPARK_NOTIFIER_EMBEDDED=false on the web processes when this runs. Its metrics are served on
SPARK_NOTIFIER_METRICS_PORT (default 9109; 0 = off) unless PROMETHEUS_MULTIPROC_DIR is shared.
"""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.worker import start_threads
from spark_site.prometheus import serve_streams_metrics


class Command(BaseCommand):
    help = "Run the notification delivery worker and the Telegram desk (scale-out mode)."

    def add_arguments(self, parser):
        parser.add_argument("--metrics-port", type=int, default=None)

    def handle(self, *args, **opts):
        port = opts["metrics_port"]
        served = serve_streams_metrics(
            settings.SPARK_NOTIFIER_METRICS_PORT if port is None else port,
            addr=settings.SPARK_STREAMS_METRICS_ADDR,
        )
        if served:
            self.stdout.write(f"metrics on :{served}/metrics")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stop.set())
        threads = start_threads(stop)
        self.stdout.write("notifier running", ending="\n")
        self.stdout.flush()
        while not stop.wait(0.5):
            pass
        for thread in threads:
            thread.join(timeout=settings.SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS + 5)
        self.stdout.write("notifier stopped")
