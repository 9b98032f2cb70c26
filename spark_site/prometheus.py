"""Prometheus exposition across processes: multiprocess mode and the stream worker's port.

Spark runs as several processes in the scale-out setup (Daphne workers and one
`manage.py run_streams`). prometheus_client keeps each process's values in memory, so a scrape
of one worker would see only that worker. Two ways out, both supported:

* Same host: set `PROMETHEUS_MULTIPROC_DIR` to one writable, empty directory in the environment
  of EVERY Spark process, before it starts (prometheus_client decides at import time). Each
  process then writes its values to files there, and any worker's `/metrics`
  (django-prometheus uses `MultiProcessCollector` when the variable is set) adds them all up:
  one scrape shows every web worker and the stream worker. Empty the directory before the
  processes start (`python -m spark_site.prometheus clean`), or counters of a previous run add up.
* Other host (no shared directory): the stream worker serves its own registry on
  `SPARK_STREAMS_METRICS_PORT` (default 9108; 0 disables) and Prometheus scrapes that too.

`serve_streams_metrics()` picks between them so a value is never exported twice.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

DEFAULT_STREAMS_METRICS_PORT = 9108


def multiprocess_dir() -> str | None:
    """Return the shared metrics directory when multiprocess mode is on, else None."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape_registry() -> CollectorRegistry:
    """Return the registry a scrape must read: all processes' files, or this process's values."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return registry


def streams_metrics_port() -> int:
    """Return SPARK_STREAMS_METRICS_PORT (setting, then environment, then 9108)."""
    from django.conf import settings

    value = getattr(settings, "SPARK_STREAMS_METRICS_PORT", None)
    if value is None:
        value = os.environ.get("SPARK_STREAMS_METRICS_PORT", DEFAULT_STREAMS_METRICS_PORT)
    return int(value)


def serve_streams_metrics(port: int | None = None, addr: str = "0.0.0.0") -> int | None:
    """Serve the stream worker's metrics on its own port unless multiprocess mode covers them.

    Returns the port served, or None when nothing is served: in multiprocess mode the worker's
    values already reach Prometheus through every web worker's /metrics (serving them here too
    would count them twice), and port 0 disables the endpoint.
    """
    if multiprocess_dir() is not None:
        return None
    port = streams_metrics_port() if port is None else port
    if port == 0:
        return None
    start_http_server(port, addr=addr, registry=REGISTRY)
    return port


def clean_multiprocess_dir(path: str | None = None) -> int:
    """Delete the per-process files of a previous run; call before any Spark process starts.

    Returns how many files were removed. Never call it while Spark processes are running:
    their counters would restart from zero in the middle of a scrape series.
    """
    path = path or multiprocess_dir()
    if path is None:
        return 0
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    removed = 0
    for file in directory.glob("*.db"):
        file.unlink(missing_ok=True)
        removed += 1
    return removed


def main(argv: list[str]) -> int:
    if argv[1:2] == ["clean"]:
        path = argv[2] if len(argv) > 2 else multiprocess_dir()
        if path is None:
            print("PROMETHEUS_MULTIPROC_DIR is not set and no directory was given", file=sys.stderr)
            return 2
        print(f"removed {clean_multiprocess_dir(path)} metric file(s) from {path}")
        return 0
    print("usage: python -m spark_site.prometheus clean [DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
