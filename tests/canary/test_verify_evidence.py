"""verify_canary_evidence: a clean chain passes; any edit or deletion names the first break."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from canary import evidence
from canary.models import CanaryRun, EvidenceLink

pytestmark = pytest.mark.django_db


def make_runs(alice, n=3) -> list[CanaryRun]:
    """Runs with sealed evidence, without an exchange: the chain does not care how they ran."""
    from django.utils import timezone

    runs = []
    for i in range(n):
        run = CanaryRun.objects.create(
            started_by=alice,
            started_by_name="alice",
            environment="sim",
            request={"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.008"},
            symbol="ETHUSDT",
            side="BUY",
            quantity="0.008",
            expires_at=timezone.now(),
            status="SIMULATED",
        )
        evidence.append(run, {"runId": run.pk, "status": "SIMULATED", "n": i}, stage="SIMULATED")
        runs.append(run)
    return runs


def verify_output() -> str:
    out = StringIO()
    call_command("verify_canary_evidence", stdout=out)
    return out.getvalue()


def test_a_clean_chain_verifies(alice):
    make_runs(alice)
    assert "3 link(s) verified" in verify_output()


def test_an_empty_chain_verifies(db):
    assert "0 link(s)" in verify_output()


def test_editing_a_runs_stored_evidence_fails_and_names_the_run(alice):
    runs = make_runs(alice)
    doc = dict(runs[1].evidence, status="CONFIRMED")
    CanaryRun.objects.filter(pk=runs[1].pk).update(evidence=doc)
    with pytest.raises(CommandError) as err:
        verify_output()
    assert f"canary run #{runs[1].pk}" in str(err.value)


def test_editing_a_link_document_fails_and_names_that_link(alice):
    runs = make_runs(alice)
    link = EvidenceLink.objects.get(run=runs[0])
    EvidenceLink.objects.filter(pk=link.pk).update(document={**link.document, "n": 99})
    with pytest.raises(CommandError) as err:
        verify_output()
    assert f"evidence link #{link.pk} (run #{runs[0].pk})" in str(err.value)
    assert "edited" in str(err.value)


def test_deleting_a_link_breaks_the_next_one(alice):
    runs = make_runs(alice)
    middle = EvidenceLink.objects.get(run=runs[1])
    after = EvidenceLink.objects.get(run=runs[2])
    with connection.cursor() as cursor:  # what a tamperer with DB access would do
        cursor.execute("DELETE FROM canary_evidencelink WHERE id = %s", [middle.pk])
    with pytest.raises(CommandError) as err:
        verify_output()
    assert f"evidence link #{after.pk}" in str(err.value)


def test_rehashing_an_edited_link_still_breaks_the_chain(alice):
    runs = make_runs(alice)
    link = EvidenceLink.objects.get(run=runs[0])
    forged = {**link.document, "n": 99}
    EvidenceLink.objects.filter(pk=link.pk).update(document=forged, sha256=evidence.digest(forged))
    with pytest.raises(CommandError) as err:
        verify_output()
    nxt = EvidenceLink.objects.get(run=runs[1])
    assert f"evidence link #{nxt.pk}" in str(err.value)


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_naming_the_break(alice):
    """Run as an operator would: `manage.py verify_canary_evidence` in its own process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.support.servers import test_database_url

    runs = make_runs(alice, 2)
    env = {**os.environ, "DATABASE_URL": test_database_url()}
    root = Path(__file__).resolve().parents[2]

    def command():
        return subprocess.run(
            [sys.executable, "manage.py", "verify_canary_evidence"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = command()
    assert ok.returncode == 0, ok.stderr
    CanaryRun.objects.filter(pk=runs[1].pk).update(evidence={"forged": True})
    broken = command()
    assert broken.returncode != 0
    assert f"canary run #{runs[1].pk}" in broken.stderr
