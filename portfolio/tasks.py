"""The optional in-process schedule: a snapshot every PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS.

Registered with spark_site.startup.on_startup, so it runs inside the Daphne process; 0 (the
default) leaves scheduling to `manage.py snapshot_portfolio` from cron.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

from portfolio.services import portfolio_refresh, snapshots_thin
from spark_site.startup import on_startup

logger = logging.getLogger(__name__)


def interval_seconds() -> float:
    return float(getattr(settings, "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS", 0))


def snapshot_once() -> None:
    from django.db import connections

    try:
        portfolio_refresh()
        snapshots_thin()
    finally:
        # a pool thread, not a request: nobody else closes its connection (PostgreSQL would
        # keep one idle session per thread the executor ever used)
        connections.close_all()


@on_startup
async def periodic_snapshots() -> None:
    """Snapshot, thin, sleep; a failed round is logged and the loop goes on."""
    every = interval_seconds()
    if every <= 0:
        return
    logger.info("portfolio: a snapshot every %.0f s", every)
    while True:
        try:
            # thread_sensitive=False: the exchange reads must not queue behind request handlers
            await sync_to_async(snapshot_once, thread_sensitive=False)()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("portfolio: scheduled snapshot failed")
        await asyncio.sleep(every)
