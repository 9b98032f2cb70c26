"""The evidence chain: canonical JSON, SHA-256 links, and its verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from canary.models import GENESIS, CanaryRun, EvidenceLink


def canonical(document: dict) -> bytes:
    """The canonical form hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def digest(document: dict) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def append(run: CanaryRun, document: dict, *, stage: str) -> EvidenceLink:
    """Seal document as the run's newest evidence, chained to the current tail.

    The document carries its chain position ("chain": {"prevHash", "stage"}), so the hash of
    its canonical form covers the previous link's hash.
    """
    for _attempt in range(20):
        try:
            with transaction.atomic():
                tail = EvidenceLink.objects.order_by("-id").first()
                prev = tail.sha256 if tail else GENESIS
                sealed = {**document, "chain": {"prevHash": prev, "stage": stage}}
                # Round-trip through JSON so what is hashed is exactly what the DB returns.
                sealed = json.loads(canonical(sealed))
                sha = digest(sealed)
                link = EvidenceLink.objects.create(
                    run=run, stage=stage, document=sealed, sha256=sha, prev_hash=prev
                )
                CanaryRun.objects.filter(pk=run.pk).update(
                    evidence=sealed, evidence_sha256=sha, prev_hash=prev
                )
        except IntegrityError:
            continue  # another append took this tail (unique prev_hash): chain onto the new one
        run.evidence, run.evidence_sha256, run.prev_hash = sealed, sha, prev
        return link
    raise RuntimeError("could not append to the canary evidence chain")


@dataclass(frozen=True)
class Broken:
    """The first broken link: which row, which run, and why."""

    where: str
    run_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.where} (run #{self.run_id}): {self.reason}"


def verify() -> tuple[int, Broken | None]:
    """Walk the chain from the first link; return (links checked, first break or None)."""
    prev = GENESIS
    checked = 0
    latest: dict[int, EvidenceLink] = {}
    for link in EvidenceLink.objects.order_by("id").iterator():
        where = f"evidence link #{link.pk}"
        if link.prev_hash != prev:
            return checked, Broken(
                where,
                link.run_id,
                f"prev_hash {link.prev_hash[:16]}… does not match the previous link's hash "
                f"{prev[:16]}… (a link before it was edited, deleted or reordered)",
            )
        chain = link.document.get("chain", {}) if isinstance(link.document, dict) else {}
        if chain.get("prevHash") != prev:
            return checked, Broken(where, link.run_id, "the document's chain.prevHash was changed")
        actual = digest(link.document)
        if actual != link.sha256:
            return checked, Broken(
                where,
                link.run_id,
                f"document hash {actual[:16]}… differs from the stored {link.sha256[:16]}… "
                "(the document was edited)",
            )
        latest[link.run_id] = link
        prev = link.sha256
        checked += 1
    for run in CanaryRun.objects.order_by("id").iterator():
        where = f"canary run #{run.pk}"
        link = latest.get(run.pk)
        if link is None:
            return checked, Broken(where, run.pk, "the run has no evidence link (deleted?)")
        if run.evidence_sha256 != link.sha256 or run.prev_hash != link.prev_hash:
            return checked, Broken(where, run.pk, "stored evidence_sha256/prev_hash were changed")
        if digest(run.evidence) != run.evidence_sha256:
            return checked, Broken(
                where, run.pk, "the stored evidence document does not match its SHA-256"
            )
    return checked, None
