"""Reads of the Strategy Lab (the answers are shaped in strategies/schemas.py)."""

from __future__ import annotations

from futures.klines import stream_name
from futures.supervisor import read_status


def runner_feed(document: dict) -> dict:
    """The kline stream that feeds this document's runners, and whether it is live now."""
    status = read_status()
    name = stream_name(document.get("symbol", ""), document.get("timeframe", ""))
    return {
        "stream": name,
        "streams_running": bool(status.get("running")),
        "subscribed": name in status.get("klines", []),
    }
