"""Run every benchmark in bench/, print one table and write bench/results.json.

Each module `bench/bench_<name>.py` exposes `run() -> list[dict]`; a row has `name`,
`figure`, `unit`, `peer` (the floor or peer it is compared with), `peer_figure`, `ratio`
(Spark / peer, where higher is better unless the row says otherwise) and an optional `note`.
A row with `failed` (why) missed a floor the bench enforces: the run exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "system": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="module names to run (default: all)")
    parser.add_argument("--profile", action="store_true", help="also save profiles")
    args = parser.parse_args()
    if args.profile:
        os.environ["SPARK_BENCH_PROFILE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    sys.path.insert(0, str(HERE.parent))
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    rows: list[dict] = []
    failures = 0
    for name in names:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            for row in module.run():
                row.setdefault("module", name)
                rows.append(row)
                if row.get("failed"):
                    failures += 1
                    print(f"   FAILED: {row['name']}: {row['failed']}", flush=True)
        except Exception:  # noqa: BLE001 - one broken bench must not hide the others
            failures += 1
            traceback.print_exc()
        _leave_test_environment()
        print(f"   ({time.monotonic() - started:.1f} s)", flush=True)
    print()
    header = f"{'benchmark':58} {'spark':>14} {'peer / floor':>30} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        peer = f"{row.get('peer', '')} {_fmt(row.get('peer_figure'))}".strip()
        print(
            f"{row['name'][:58]:58} {_fmt(row['figure']):>9} {row['unit'][:4]:4} "
            f"{peer[:30]:>30} {_fmt(row.get('ratio')):>7}"
        )
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": rows,
    }
    (HERE / "results.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {HERE / 'results.json'}")
    return 1 if failures else 0


def _leave_test_environment() -> None:
    """Undo a bench's django.test setup_test_environment(): left on, the next bench's own call
    raises (bench_exports left it on, and bench_risk_gate failed after it in every run)."""
    utils = sys.modules.get("django.test.utils")
    if utils is not None and hasattr(utils._TestState, "saved_data"):
        utils.teardown_test_environment()


def _fmt(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    return str(value)


if __name__ == "__main__":
    raise SystemExit(main())
