"""Klines, strategies, backtests, optimizations and parameter-change proposals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Kline(models.Model):
    """One exchange candle; prices as the exchange sent them (Decimal), times in epoch ms."""

    symbol = models.CharField(max_length=20)
    interval = models.CharField(max_length=4)
    open_time = models.BigIntegerField()
    open = models.DecimalField(max_digits=24, decimal_places=8)
    high = models.DecimalField(max_digits=24, decimal_places=8)
    low = models.DecimalField(max_digits=24, decimal_places=8)
    close = models.DecimalField(max_digits=24, decimal_places=8)
    volume = models.DecimalField(max_digits=28, decimal_places=8)
    close_time = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "interval", "open_time"], name="strategies_kline_unique_bar"
            )
        ]
        ordering = ["symbol", "interval", "open_time"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.interval} @{self.open_time}"


class Strategy(models.Model):
    """A named strategy and its APPROVED document: the only parameters that may run."""

    name = models.CharField(max_length=100, unique=True)
    document = models.JSONField()
    version = models.PositiveIntegerField(default=1)
    draft_id = models.BigIntegerField(null=True, blank=True)  # copilot.StrategyDraft, if any
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # a new strategy runs only once someone other than its creator approved it (four-eyes);
    # later changes go through ParamChangeProposal
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(approved_by=F("created_by")), name="strategies_strategy_four_eyes"
            )
        ]
        permissions = [
            ("run_backtest", "Can run backtests and optimizations"),
            ("propose_change", "Can propose a strategy parameter change"),
            ("approve_proposal", "Can approve or reject a parameter change (not one's own)"),
            ("run_strategy", "Can deploy, start and stop a strategy runner"),
        ]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_approved(self) -> bool:
        return self.approved_by_id is not None


class BacktestRun(models.Model):
    class Status(models.TextChoices):
        DONE = "DONE"
        FAILED = "FAILED"

    strategy = models.ForeignKey(
        Strategy, null=True, blank=True, on_delete=models.SET_NULL, related_name="backtests"
    )
    draft_id = models.BigIntegerField(null=True, blank=True)
    document = models.JSONField()
    symbol = models.CharField(max_length=20)
    interval = models.CharField(max_length=4)
    start_ms = models.BigIntegerField()
    end_ms = models.BigIntegerField()
    config = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    error = models.TextField(blank=True, default="")
    metrics = models.JSONField(default=dict)
    trades = models.JSONField(default=list)
    equity = models.JSONField(default=list)  # [[time_ms, equity], ...] down-sampled
    gaps = models.JSONField(default=list)
    duration_ms = models.FloatField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"backtest {self.pk} {self.symbol} {self.interval}"


class OptimizationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        DONE = "DONE"
        CANCELLED = "CANCELLED"
        FAILED = "FAILED"

    FINAL = (Status.DONE, Status.CANCELLED, Status.FAILED)

    document = models.JSONField()
    space = models.JSONField()  # {"fast.period": [5, 10, 20], ...}
    method = models.CharField(max_length=10, default="grid")
    splits = models.PositiveIntegerField(default=3)
    start_ms = models.BigIntegerField()
    end_ms = models.BigIntegerField()
    config = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    results = models.JSONField(default=list)
    best = models.JSONField(default=dict)
    # per fold: the set best in training, and how it did on the following unseen stretch
    walk_forward = models.JSONField(default=dict)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"optimization {self.pk} {self.status}"

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 0.0


class ParamChangeProposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        APPROVED = "APPROVED"
        REJECTED = "REJECTED"

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="proposals")
    base_version = models.PositiveIntegerField()
    old_document = models.JSONField()
    new_document = models.JSONField()
    diff = models.JSONField(default=list)  # [{"param", "old", "new"}]
    old_run = models.ForeignKey(BacktestRun, null=True, on_delete=models.SET_NULL, related_name="+")
    new_run = models.ForeignKey(BacktestRun, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # four-eyes, also at the database: nobody decides their own proposal
            models.CheckConstraint(
                condition=~Q(decided_by=F("proposer")), name="strategies_proposal_four_eyes"
            )
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk} {self.status}"


class StrategyRunner(models.Model):
    """A deployed strategy running in paper mode on the stand-in or testnet."""

    class Status(models.TextChoices):
        RUNNING = "RUNNING"
        STOPPED = "STOPPED"

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="runners")
    version = models.PositiveIntegerField()
    document = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    canary_run_id = models.BigIntegerField(null=True, blank=True)
    position_qty = models.DecimalField(max_digits=24, decimal_places=8, default=0)
    entry_price = models.DecimalField(max_digits=24, decimal_places=8, default=0)
    realized_pnl = models.DecimalField(max_digits=24, decimal_places=8, default=0)
    last_price = models.DecimalField(max_digits=24, decimal_places=8, default=0)
    last_bar_ms = models.BigIntegerField(default=0)
    events = models.JSONField(default=list)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"runner {self.pk} {self.status}"

    def unrealized_pnl(self):
        """Mark-to-last-close PnL of the open position (signed quantity)."""
        if not self.position_qty or not self.last_price:
            return self.position_qty * 0
        return (self.last_price - self.entry_price) * self.position_qty
