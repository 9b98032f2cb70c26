"""`make smoke` end to end: scripts/smoke.py starts the platform, walks the checklist, stops it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_smoke_script_walks_every_checklist_step_and_stops_what_it_started():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "smoke.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "✗" not in out, out
    passed = [line for line in out.splitlines() if line.startswith("✓ ")]
    checklist = (ROOT / "docs" / "en" / "smoke.md").read_text(encoding="utf-8")
    steps = re.findall(r"^\| (\d+) \|", checklist, re.M)
    assert len(passed) == len(steps) == 14, out
    assert "Smoke test PASSED" in out
    ports = re.search(r"Starting Spark on :(\d+) \(stand-in :(\d+)\)", out)
    assert ports, out
    for port in map(int, ports.groups()):
        assert not _listening(port), f"port {port} still served after the smoke test"


@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_smoke_script_reports_a_failing_step_exits_1_and_still_stops_the_platform():
    # A 10 USD max notional makes the dry-run order and the canary fail the risk gate.
    env = {**os.environ, "SPARK_DEFAULT_MAX_NOTIONAL_USD": "10"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "smoke.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert re.search(r"^✗ POST /futures/order.place \(dry-run\): .*RISK_REJECTED", out, re.M), out
    assert re.search(r"^✗ POST /canary/run: .*REJECTED", out, re.M), out
    assert re.search(r"^✓ GET /health", out, re.M), out
    assert "Smoke test FAILED" in out
    ports = re.search(r"Starting Spark on :(\d+) \(stand-in :(\d+)\)", out)
    for port in map(int, ports.groups()):
        assert not _listening(port), f"port {port} still served after a failed smoke test"
