"""Shared set-up of the benchmarks: a stand-in that never throttles or moves prices."""

from __future__ import annotations

import os


def unthrottled_sim_env(tmp: str, api_key: str, api_secret: str) -> dict[str, str]:
    """SIM_* settings for a stand-in whose weight limit, balance and feed never bound a bench."""
    return {
        "SIM_API_KEYS": f"{api_key}:{api_secret}",
        "SIM_WEIGHT_LIMIT": "100000000",
        "SIM_FEED_RUNNING": "false",
        "SIM_STATE_FILE": os.path.join(tmp, "state.json"),
        "SIM_STATE_SYNC": "write",  # kill-safe journal without a disk flush per order
        "SIM_START_BALANCE": "100000000",
    }
