"""Canary runs and their tamper-evident evidence chain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class CanaryRun(models.Model):
    """One canary: a dry-run of a small order, optionally confirmed once on a testnet."""

    class Status(models.TextChoices):
        SIMULATED = "SIMULATED", "simulated"
        CONFIRMED = "CONFIRMED", "confirmed"
        REJECTED = "REJECTED", "rejected"
        FAILED = "FAILED", "failed"
        EXPIRED = "EXPIRED", "expired"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="canary_runs",
    )
    started_by_name = models.CharField(max_length=150, blank=True)
    environment = models.CharField(max_length=8)
    # The requested order: {"symbol", "side", "type", "quantity"} (Decimals as strings).
    request = models.JSONField(default=dict)
    symbol = models.CharField(max_length=20)
    side = models.CharField(max_length=4)
    quantity = models.DecimalField(max_digits=28, decimal_places=10)
    # The account's mode when the run read it ("one-way" or "hedge"; "" if it could not be read)
    # and the side its order is on (BOTH, or LONG for a BUY and SHORT for a SELL in hedge mode):
    # a confirm places nothing unless the mode read then is still this one.
    position_mode = models.CharField(max_length=8, blank=True)
    position_side = models.CharField(max_length=5, blank=True)
    risk_decision = models.JSONField(default=dict, blank=True)
    # {"price", "qty", "fee", "markPrice", "slippageBps", "clientOrderId"}
    simulated_fill = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="canary_confirmations",
    )
    keep_position = models.BooleanField(default=False)
    exchange_order_id = models.BigIntegerField(null=True, blank=True)
    # {"open": {...order and fill...}, "close": {...}, "latencyMs": {...}}
    confirmation = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.JSONField(default=dict, blank=True)
    # The latest evidence document, its SHA-256 and the hash it chains to (see EvidenceLink).
    evidence = models.JSONField(default=dict, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("canary run")
        verbose_name_plural = _("canary runs")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("run_canary", "Can run a canary (dry-run)"),
            ("confirm_canary", "Can confirm a canary on a testnet"),
        ]

    def __str__(self) -> str:
        return f"canary #{self.pk} {self.symbol} {self.status}"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class EvidenceLink(models.Model):
    """One version of a run's evidence, appended to one chain and never edited.

    A run's document grows (simulated, then confirmed or expired); each version is a link whose
    hash covers the previous link's hash, so editing or deleting any version, or any run's
    stored evidence, is detectable by `manage.py verify_canary_evidence`.
    """

    run = models.ForeignKey(CanaryRun, on_delete=models.PROTECT, related_name="links")
    created_at = models.DateTimeField(default=timezone.now)
    stage = models.CharField(max_length=10)  # the run's status this version records
    document = models.JSONField()
    sha256 = models.CharField(max_length=64, unique=True)
    prev_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A hash can be followed once: two appends racing for the same tail cannot fork
            # the chain; the loser retries on the new tail.
            models.UniqueConstraint(fields=["prev_hash"], name="canary_evidence_linear_chain"),
        ]

    def __str__(self) -> str:
        return f"link #{self.pk} run #{self.run_id} {self.stage} {self.sha256[:12]}"
