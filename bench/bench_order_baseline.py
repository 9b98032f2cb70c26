"""The order path of HEAD against the code before issue 21's restructuring, in one run.

Issue 21's proof: the order path within 5 % of the code before it (SPARK_BENCH_BASELINE,
default 5ab588e) measured in the same run. Two Daphne servers serve the same settings, one from
this working tree (or a temporary worktree of SPARK_BENCH_HEAD) and one from a temporary
`git worktree` of the baseline, each with its own stand-in and SQLite file. Rounds alternate
between them (HEAD, baseline, HEAD, ...), so machine load hits both alike. Per scenario (live
with the stand-in answering at once, live with every exchange answer EXCHANGE_RTT_MS late,
dry-run) the rows give p50 and p99 over all samples of each side and the ratio HEAD/baseline,
with each server's SQL queries per call (django-prometheus' counting SQLite backend, in both
servers alike, read from /metrics) and CPU time per call (/proc/<pid>/stat, all its threads).

Floor: HEAD's p50 no more than 5 % above the baseline's in any scenario; a row that misses it
says so in `failed` and `python -m bench` exits 1. SPARK_BENCH_BASELINE=HEAD is the control
(the committed HEAD against the working tree): its ratios must come out about 1.00.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from bench.bench_order_path import (
    EXCHANGE_RTT_MS,
    KEY,
    ROOT,
    SECRET,
    SYMBOL,
    exchange_calls,
    order_clients,
    prepare_database,
    quantile,
    server_env,
)
from bench.support import unthrottled_sim_env

BASELINE = os.environ.get("SPARK_BENCH_BASELINE", "5ab588e")
HEAD = os.environ.get("SPARK_BENCH_HEAD", "")  # empty: this working tree as it is
ROUNDS = int(os.environ.get("SPARK_BENCH_ORDER_BASELINE_ROUNDS", "80"))  # per side
PER_ROUND = int(os.environ.get("SPARK_BENCH_ORDER_BASELINE_N", "10"))
WARM_UP = 10
FLOOR = 1.05  # HEAD's p50 / the baseline's, at most

# Both servers count their queries the same way: Spark's settings with django-prometheus'
# SQLite backend (the stock one plus a counter per execute), exported at /metrics.
COUNTING_SETTINGS = """\
from spark_site.settings import *  # noqa: F403

DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.sqlite3"  # noqa: F405
"""
QUERY_METRICS = ("django_db_execute_total", "django_db_execute_many_total")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SCENARIOS = (
    # (key, client, exchange RTT in ms, title)
    ("live", "live", 0, "order.place live, stand-in answering at once"),
    ("live_rtt", "live", EXCHANGE_RTT_MS, f"order.place live, exchange RTT {EXCHANGE_RTT_MS} ms"),
    ("dry", "dry", 0, "order.place dry-run"),
)


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


@contextmanager
def _tree(rev: str, tmp: str, name: str):
    """A detached worktree of rev under tmp, removed afterwards; yields (root, label)."""
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    path = Path(tmp) / name
    _git("worktree", "add", "--detach", str(path), commit)
    try:
        yield path, f"{rev} ({commit[:7]})" if rev[:7] != commit[:7] else commit[:7]
    finally:
        _git("worktree", "remove", "--force", str(path))


def _working_tree_label() -> str:
    dirty = "+changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return f"working tree ({_git('rev-parse', '--short=7', 'HEAD')}{dirty})"


def _check_imports(env: dict, root: Path) -> None:
    """Fail unless a process started in root imports Spark from root (not the editable install)."""
    done = subprocess.run(
        [sys.executable, "-c", "import futures, spark_site; print(futures.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    where = Path(done.stdout.strip()).resolve()
    if done.returncode != 0 or not where.is_relative_to(root.resolve()):
        raise RuntimeError(f"a server in {root} would import {where}: {done.stderr[-500:]}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process pid so far, all its threads."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _queries(http: requests.Session, url: str) -> int:
    total = 0.0
    for line in http.get(f"{url}/metrics", timeout=30).text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in QUERY_METRICS:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


class Side:
    """One server under test: its tree, stand-in, Daphne and clients, and what it measured."""

    def __init__(self, label: str, root: Path, sim, server, clients: dict[str, Callable]):
        self.label, self.root, self.sim, self.server = label, root, sim, server
        self.clients = clients
        self.scrape = requests.Session()
        self.scrape.trust_env = False

    def round(self, client: str, n: int, stats: dict) -> None:
        """n calls of client, timed one by one; queries, CPU and exchange calls in total."""
        call = self.clients[client]
        q0 = _queries(self.scrape, self.server.url)
        x0 = exchange_calls(self.sim)
        c0 = _cpu_seconds(self.server.proc.pid)
        for _ in range(n):
            t0 = time.perf_counter()
            call()
            stats["ms"].append((time.perf_counter() - t0) * 1000)
        stats["cpu"] += _cpu_seconds(self.server.proc.pid) - c0
        stats["exchange"] += exchange_calls(self.sim) - x0
        stats["queries"] += _queries(self.scrape, self.server.url) - q0
        stats["calls"] += n
        stats["round_p50"].append(statistics.median(stats["ms"][-n:]))


def run() -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    import django

    django.setup()
    # After setup: these import Django models and settings.
    from futures.binance.rest import BinanceFutures
    from simexchange.testing import SimProcess
    from tests.support.servers import DaphneServer

    with tempfile.TemporaryDirectory(prefix="spark-bench-baseline-") as tmp, ExitStack() as stack:
        settings_dir = Path(tmp) / "settings"
        settings_dir.mkdir()
        (settings_dir / "spark_bench_counting_settings.py").write_text(COUNTING_SETTINGS)
        if HEAD:
            head_root, head_label = stack.enter_context(_tree(HEAD, tmp, "head"))
        else:
            head_root, head_label = ROOT, _working_tree_label()
        base_root, base_label = stack.enter_context(_tree(BASELINE, tmp, "baseline"))
        sides: list[Side] = []
        for name, root, label in (("head", head_root, head_label), ("base", base_root, base_label)):
            sim_env = unthrottled_sim_env(tmp, KEY, SECRET)
            sim_env.pop("SIM_STATE_FILE")  # as bench_order_path: no journal write per order
            sim = stack.enter_context(SimProcess(env=sim_env))
            sim.control.set_price(SYMBOL, "3400", mark="3400")
            spark_env = {
                **server_env(f"{tmp}/{name}.sqlite3", sim),
                "DJANGO_SETTINGS_MODULE": "spark_bench_counting_settings",
                # The process's own tree comes first on sys.path (cwd); this adds the settings.
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(settings_dir), os.environ.get("PYTHONPATH")) if p
                ),
                "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS": "0",
            }
            env = {**os.environ, **spark_env}
            _check_imports(env, root)
            token = prepare_database(env, root=root)
            server = DaphneServer(spark_env, root=root).start()
            stack.callback(server.stop)
            connector = BinanceFutures(sim.base_url, KEY, SECRET)
            sides.append(
                Side(label, root, sim, server, order_clients(server.url, token, connector))
            )
        print(f"   HEAD: {head_label} in {head_root}; baseline: {base_label}", flush=True)
        rows = []
        for key, client, rtt_ms, title in SCENARIOS:
            for side in sides:
                if rtt_ms:
                    side.sim.control.faults(latency_ms=rtt_ms)
                else:
                    side.sim.control.clear_faults()
            stats = _measure(sides, client)
            rows.append(_row(key, title, stats, head_label, base_label))
            print(f"   {_summary(rows[-1])}", flush=True)
        for side in sides:
            side.sim.control.clear_faults()
        return rows


def _measure(sides: list[Side], client: str) -> list[dict]:
    """ROUNDS rounds of PER_ROUND calls per side, the sides taking turns round by round."""
    for side in sides:
        for _ in range(WARM_UP):
            side.clients[client]()  # connections, exchange info, clock, first queries
    stats = [
        {"ms": [], "round_p50": [], "cpu": 0.0, "queries": 0, "exchange": 0, "calls": 0}
        for _ in sides
    ]
    for _ in range(ROUNDS):
        for side, own in zip(sides, stats, strict=True):
            side.round(client, PER_ROUND, own)
    return stats


def _row(key, title, stats, head_label, base_label) -> dict:
    head, base = (
        {**s, "p50": quantile(s["ms"], 0.5), "p99": quantile(s["ms"], 0.99)} for s in stats
    )
    ratio = head["p50"] / base["p50"]
    # Each HEAD round against the baseline round right after it: steadier than the pooled ratio
    # when the machine's load drifts during the run; reported, the floor is on the pooled p50.
    paired = statistics.median(
        h / b for h, b in zip(head["round_p50"], base["round_p50"], strict=True)
    )

    def per_call(s: dict, field: str) -> float:
        return s[field] / s["calls"]

    row = {
        "name": f"{title}, p50: HEAD vs baseline, same run",
        "figure": round(head["p50"], 2),
        "unit": "ms",
        "peer": f"baseline {base_label}",
        "peer_figure": round(base["p50"], 2),
        "ratio": round(ratio, 3),
        "scenario": key,
        "head": head_label,
        "baseline": base_label,
        "p99": round(head["p99"], 2),
        "peer_p99": round(base["p99"], 2),
        "p99_ratio": round(head["p99"] / base["p99"], 3),
        "paired_round_ratio": round(paired, 3),
        "queries_per_call": round(per_call(head, "queries"), 2),
        "peer_queries_per_call": round(per_call(base, "queries"), 2),
        "cpu_ms_per_call": round(1000 * per_call(head, "cpu"), 2),
        "peer_cpu_ms_per_call": round(1000 * per_call(base, "cpu"), 2),
        "exchange_calls_per_call": round(per_call(head, "exchange"), 3),
        "peer_exchange_calls_per_call": round(per_call(base, "exchange"), 3),
        "round_p50_range": {
            side: [round(min(s["round_p50"]), 2), round(max(s["round_p50"]), 2)]
            for side, s in (("head", head), ("baseline", base))
        },
        "note": (
            f"lower is better; floor: ratio <= {FLOOR}; median ratio of adjacent rounds "
            f"{paired:.3f}; p99 {head['p99']:.2f} vs "
            f"{base['p99']:.2f} ms; queries per call {per_call(head, 'queries'):.2f} vs "
            f"{per_call(base, 'queries'):.2f}; server CPU per call "
            f"{1000 * per_call(head, 'cpu'):.2f} vs {1000 * per_call(base, 'cpu'):.2f} ms; "
            f"{ROUNDS} rounds x {PER_ROUND} calls per side, sides alternating round by round"
        ),
    }
    if ratio > FLOOR:
        row["failed"] = f"HEAD's p50 is {ratio:.3f}x the baseline's (floor {FLOOR})"
    return row


def _summary(row: dict) -> str:
    return (
        f"{row['scenario']:9} p50 {row['figure']:.2f} vs {row['peer_figure']:.2f} ms "
        f"({row['ratio']:.3f}), p99 {row['p99']:.2f} vs {row['peer_p99']:.2f} ms "
        f"({row['p99_ratio']:.3f}), paired rounds {row['paired_round_ratio']:.3f}, "
        f"queries/call {row['queries_per_call']} vs "
        f"{row['peer_queries_per_call']}, CPU ms/call {row['cpu_ms_per_call']} vs "
        f"{row['peer_cpu_ms_per_call']}" + (f"  FAILED: {row['failed']}" if "failed" in row else "")
    )


if __name__ == "__main__":
    results = run()
    for result in results:
        print(_summary(result))
    raise SystemExit(1 if any("failed" in r for r in results) else 0)
