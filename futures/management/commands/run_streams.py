"""`manage.py run_streams`: the stream supervisor as its own process (scale-out mode).

Web processes talk to it over the channel layer (set REDIS_URL so they share one); its metrics
are served on their own port (SPARK_STREAMS_METRICS_PORT, default 9108; 0 = off) for Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from futures.supervisor import Supervisor
from spark_site.prometheus import serve_streams_metrics

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the exchange stream supervisor (scale-out mode)."

    def add_arguments(self, parser):
        parser.add_argument("--symbols", default="", help="comma-separated; default from settings")
        parser.add_argument("--no-autostart", action="store_true", help="wait for ws.start")
        parser.add_argument("--metrics-port", type=int, default=None)

    def handle(self, *args, **opts):
        # In multiprocess mode the web workers' /metrics already carry these values; serving
        # them here too would count them twice, so serve_streams_metrics decides.
        served = serve_streams_metrics(
            opts["metrics_port"], addr=settings.SPARK_STREAMS_METRICS_ADDR
        )
        if served:
            self.stdout.write(f"metrics on :{served}/metrics")
        symbols = [s for s in opts["symbols"].split(",") if s] or list(
            settings.SPARK_STREAM_SYMBOLS
        )
        autostart = None if opts["no_autostart"] else symbols
        asyncio.run(self._main(autostart))

    async def _main(self, autostart):
        loop = asyncio.get_running_loop()
        task = loop.create_task(Supervisor(mode="scale-out").serve(autostart=autostart))
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        self.stdout.write("stream supervisor running", ending="\n")
        self.stdout.flush()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.stdout.write("stream supervisor stopped")
