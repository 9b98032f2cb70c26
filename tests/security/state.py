"""A fingerprint of what a request could change, to prove a refused request changed nothing."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Max

PROJECT_APPS = {
    "accounts",
    "audit",
    "canary",
    "copilot",
    "futures",
    "portfolio",
    "risk",
    "strategies",
}


def fingerprint() -> dict:
    """Row counts of every project model (audit: only `ok` entries) and the latest change."""
    out: dict = {}
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        qs = model.objects.all()
        if model._meta.label == "audit.AuditEntry":
            qs = qs.filter(outcome="ok")
        names = {f.name for f in model._meta.get_fields()}
        entry = {"rows": qs.count()}
        for stamp in ("updated_at", "changed_at", "opened_at", "closed_at", "revoked_at"):
            if stamp in names:
                entry[stamp] = qs.aggregate(v=Max(stamp))["v"]
        out[model._meta.label] = entry
    return out


def diff(before: dict, after: dict) -> dict:
    return {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}
