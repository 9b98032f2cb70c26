"""Risk state in the database: the limits (one row), the PnL ledger and the circuit breaker."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from risk.money import fmt

MONEY = {"max_digits": 20, "decimal_places": 8}

# The one symbol the seed names with a quantity limit; others fall back to the USD default.
DEFAULT_SYMBOL_LIMITS = {"BTCUSDT": Decimal("0.1")}


def _default_max_notional() -> Decimal:
    return Decimal(str(getattr(settings, "SPARK_DEFAULT_MAX_NOTIONAL_USD", "100")))


def _default_daily_loss() -> Decimal:
    return Decimal(str(getattr(settings, "SPARK_DEFAULT_DAILY_LOSS_LIMIT_USD", "50")))


def _default_position_usd() -> Decimal:
    return Decimal(str(getattr(settings, "SPARK_DEFAULT_MAX_POSITION_USD", "500")))


def _validate_tz(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone") from exc


class RiskLimits(models.Model):
    """The limits every order is checked against: a single row (pk=1), edited by operators."""

    SINGLETON_PK = 1

    max_notional_usd = models.DecimalField(
        **MONEY, default=_default_max_notional, help_text="Largest notional of one order, USD."
    )
    default_max_position_usd = models.DecimalField(
        **MONEY,
        default=_default_position_usd,
        help_text="Largest absolute position value, USD, for symbols without their own row.",
    )
    daily_loss_limit_usd = models.DecimalField(
        **MONEY,
        default=_default_daily_loss,
        help_text="Loss of one trading day that opens the circuit breaker, USD (net PnL by "
        "default: realized + commissions + funding; SPARK_DAILY_LOSS_COUNTS).",
    )
    trading_day_timezone = models.CharField(max_length=64, default="UTC", validators=[_validate_tz])
    trading_day_start_hour = models.PositiveSmallIntegerField(
        default=0, help_text="Hour (0-23, in the time zone above) at which a trading day starts."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk limits")
        verbose_name_plural = _("risk limits")
        permissions = [
            ("open_circuit_breaker", "Can open the circuit breaker"),
            ("close_circuit_breaker", "Can close the circuit breaker"),
            ("record_pnl", "Can record a manual PnL entry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trading_day_start_hour__lte=23),
                name="risk_limits_start_hour_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_notional_usd__gte=0)
                & models.Q(default_max_position_usd__gte=0)
                & models.Q(daily_loss_limit_usd__gte=0),
                name="risk_limits_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return "risk limits"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> RiskLimits:
        """Return the limits row, creating it (and the seed's symbol limits) on first use."""
        row, created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        if created:
            for symbol, qty in DEFAULT_SYMBOL_LIMITS.items():
                SymbolPositionLimit.objects.get_or_create(
                    limits=row, symbol=symbol, defaults={"max_position_qty": qty}
                )
        return row

    def trading_day(self, at: datetime | None = None) -> date:
        """Return the trading day `at` (default now) falls in."""
        at = at or timezone.now()
        local = at.astimezone(zoneinfo.ZoneInfo(self.trading_day_timezone))
        return (local - timedelta(hours=self.trading_day_start_hour)).date()

    def trading_day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Return the [start, end) instants of a trading day, timezone-aware."""
        tz = zoneinfo.ZoneInfo(self.trading_day_timezone)
        start = datetime(day.year, day.month, day.day, self.trading_day_start_hour, tzinfo=tz)
        return start, start + timedelta(days=1)

    def as_dict(self) -> dict:
        return {
            "maxNotionalUsd": fmt(self.max_notional_usd),
            "defaultMaxPositionUsd": fmt(self.default_max_position_usd),
            "dailyLossLimitUsd": fmt(self.daily_loss_limit_usd),
            "tradingDayTimezone": self.trading_day_timezone,
            "tradingDayStartHour": self.trading_day_start_hour,
            "symbolPositionLimits": {
                s.symbol: fmt(s.max_position_qty) for s in self.symbol_limits.order_by("symbol")
            },
        }


class SymbolPositionLimit(models.Model):
    """Largest absolute position of one symbol, in contracts (base asset quantity)."""

    limits = models.ForeignKey(RiskLimits, on_delete=models.CASCADE, related_name="symbol_limits")
    symbol = models.CharField(max_length=20)
    max_position_qty = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("symbol position limit")
        verbose_name_plural = _("symbol position limits")
        constraints = [
            models.UniqueConstraint(fields=["limits", "symbol"], name="risk_symbol_limit_unique"),
            models.CheckConstraint(
                condition=models.Q(max_position_qty__gte=0), name="risk_symbol_limit_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} ≤ {self.max_position_qty}"

    def save(self, *args, **kwargs):
        self.symbol = self.symbol.upper()
        super().save(*args, **kwargs)


class PnLEntry(models.Model):
    """One movement of the futures wallet; source_ref makes the same event count once.

    The reference names the environment (sim/testnet/demo/live) first, so a reset stand-in or a
    switch from the testnet never takes a new event for an old one.
    """

    class Source(models.TextChoices):
        FILL = "fill", "exchange fill"
        MANUAL = "manual", "manual entry"
        CANARY = "canary", "canary result"
        INCOME = "income", "exchange income history"

    class Kind(models.TextChoices):
        REALIZED = "realized", "realized PnL"
        COMMISSION = "commission", "commission"
        FUNDING = "funding", "funding fee"
        TRANSFER = "transfer", "transfer"
        OTHER = "other", "other income"

    symbol = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REALIZED)
    amount = models.DecimalField(**MONEY, help_text="USD; negative is a loss.")
    # What the exchange booked, in its own asset (a BNB commission), before the USD conversion.
    asset = models.CharField(max_length=12, default="USDT")
    asset_amount = models.DecimalField(**MONEY, null=True, blank=True)
    # The exchange's income type (FUNDING_FEE, TRANSFER, ...) for income rows; empty otherwise.
    income_type = models.CharField(max_length=40, blank=True)
    # How a non-USD amount was valued (which price, of when, from where); empty for USD.
    note = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    source_ref = models.CharField(max_length=120)
    trading_day = models.DateField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("PnL entry")
        verbose_name_plural = _("PnL entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_ref"], name="risk_pnl_unique_source_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.trading_day} {self.symbol} {self.kind} {self.amount} ({self.source})"


# The kinds the history pages and exports show, each its own column (issue 24).
PNL_KINDS = tuple(PnLEntry.Kind.values)
PNL_KIND_REALIZED = PnLEntry.Kind.REALIZED.value
PNL_KIND_COMMISSION = PnLEntry.Kind.COMMISSION.value
PNL_KIND_FUNDING = PnLEntry.Kind.FUNDING.value
PNL_KIND_TRANSFER = PnLEntry.Kind.TRANSFER.value


class CircuitBreaker(models.Model):
    """Closed = trading allowed; open = only position-shrinking reduce-only orders. One row."""

    SINGLETON_PK = 1

    class State(models.TextChoices):
        CLOSED = "closed", "closed"
        OPEN = "open", "open"

    state = models.CharField(max_length=6, choices=State.choices, default=State.CLOSED)
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_reason = models.CharField(max_length=300, blank=True)
    opened_by = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=150, blank=True)
    close_reason = models.CharField(max_length=300, blank=True)
    # The loss an operator accepted when closing the breaker with today's budget spent: the
    # rest of that trading day gets a fresh budget measured from this point (see gate.py).
    acknowledged_day = models.DateField(null=True, blank=True)
    acknowledged_pnl = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("circuit breaker")
        verbose_name_plural = _("circuit breakers")

    def __str__(self) -> str:
        return f"circuit breaker {self.state}"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> CircuitBreaker:
        row = cls.objects.filter(pk=cls.SINGLETON_PK).first()
        return row if row is not None else cls.objects.get_or_create(pk=cls.SINGLETON_PK)[0]

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def as_dict(self) -> dict:
        def iso(value):
            return value.isoformat() if value else None

        return {
            "state": self.state,
            "open": self.is_open,
            "openedAt": iso(self.opened_at),
            "openedReason": self.opened_reason,
            "openedBy": self.opened_by,
            "closedAt": iso(self.closed_at),
            "closedBy": self.closed_by,
            "closeReason": self.close_reason,
        }
