"""Stored portfolio snapshots: one row per refresh, one child row per (exchange, asset)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# value_usd: up to 10^21 USD with 8 decimals; quantities and prices keep 18 decimals (wei-like).
USD = {"max_digits": 30, "decimal_places": 8}
AMOUNT = {"max_digits": 40, "decimal_places": 18}


class PortfolioSnapshot(models.Model):
    """The valued portfolio at one moment; `sources` holds each exchange's status and freshness.

    sources = {exchange: {"status": "ok"|"stale"|"unavailable", "fetched_at": iso or None,
    "value_usd": "…", "error": {"code", "message"} or None}}. A stale source's assets are the
    ones of its last good snapshot, copied with stale=True.
    """

    taken_at = models.DateTimeField(db_index=True)
    total_usd = models.DecimalField(**USD)
    partial = models.BooleanField(default=False)
    sources = models.JSONField(default=dict)
    latency_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("portfolio snapshot")
        verbose_name_plural = _("portfolio snapshots")
        ordering = ["-taken_at", "-id"]
        get_latest_by = ["taken_at", "id"]

    def __str__(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M:%S} {self.total_usd} USD"

    def source_ok(self, exchange: str) -> bool:
        return self.sources.get(exchange, {}).get("status") == "ok"


class PortfolioAsset(models.Model):
    """One asset's balance on one exchange inside a snapshot, valued in USD (None: no price)."""

    snapshot = models.ForeignKey(PortfolioSnapshot, on_delete=models.CASCADE, related_name="assets")
    exchange = models.CharField(max_length=32)
    asset = models.CharField(max_length=32)
    quantity = models.DecimalField(**AMOUNT)
    free = models.DecimalField(**AMOUNT, default=0)
    locked = models.DecimalField(**AMOUNT, default=0)
    price_usd = models.DecimalField(**AMOUNT, null=True, blank=True)
    value_usd = models.DecimalField(**USD, null=True, blank=True)
    stale = models.BooleanField(default=False)

    class Meta:
        ordering = ["exchange", "-value_usd", "asset"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "exchange", "asset"], name="portfolio_asset_unique_per_snapshot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.exchange} {self.asset} {self.quantity}"
