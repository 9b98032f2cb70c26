"""Orders, fills, positions and account snapshots of the futures account."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spark_site.errors import DomainError

if TYPE_CHECKING:
    from futures.binance.reports import OrderReport

logger = logging.getLogger(__name__)

PRICE = {"max_digits": 28, "decimal_places": 10}
ZERO = Decimal("0")


class Environment(models.TextChoices):
    SIM = "sim", "stand-in"
    TESTNET = "testnet", "testnet"
    DEMO = "demo", "demo trading"
    LIVE = "live", "live"


class Side(models.TextChoices):
    BUY = "BUY", "buy"
    SELL = "SELL", "sell"


class PositionSide(models.TextChoices):
    """Binance's positionSide: BOTH on a one-way account, LONG or SHORT on a hedge-mode one."""

    BOTH = "BOTH", _("both (one-way)")
    LONG = "LONG", _("long")
    SHORT = "SHORT", _("short")


class OrderType(models.TextChoices):
    LIMIT = "LIMIT", "limit"
    MARKET = "MARKET", "market"
    STOP = "STOP", "stop (limit)"
    STOP_MARKET = "STOP_MARKET", "stop market"
    TAKE_PROFIT = "TAKE_PROFIT", "take profit (limit)"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET", "take profit market"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET", "trailing stop market"


# Conditional types left /fapi/v1/order for /fapi/v1/algoOrder in December 2025 (-4120).
ALGO_TYPES = frozenset(
    {
        OrderType.STOP,
        OrderType.STOP_MARKET,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_MARKET,
        OrderType.TRAILING_STOP_MARKET,
    }
)
# The two types Binance accepts with closePosition=true (the whole position, no quantity).
CLOSE_POSITION_TYPES = frozenset({OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET})


class TimeInForce(models.TextChoices):
    GTC = "GTC", "good till cancel"
    IOC = "IOC", "immediate or cancel"
    FOK = "FOK", "fill or kill"
    GTX = "GTX", "post only"


class OrderStatus(models.TextChoices):
    PENDING_SUBMIT = "PENDING_SUBMIT", "pending submit"
    NEW = "NEW", "new"
    PARTIALLY_FILLED = "PARTIALLY_FILLED", "partially filled"
    FILLED = "FILLED", "filled"
    CANCELED = "CANCELED", "canceled"
    REJECTED = "REJECTED", "rejected"
    EXPIRED = "EXPIRED", "expired"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH", "expired in match"
    UNKNOWN = "UNKNOWN", "unknown"


class AttachState(models.TextChoices):
    """Where the TP/SL attached to an entry order stands."""

    NONE = "", "none"
    PENDING = "pending", "waiting for the entry's fill"
    PLACING = "placing", "being placed"
    PLACED = "placed", "placed"
    FAILED = "failed", "could not be placed"
    DROPPED = "dropped", "entry ended unfilled"


S = OrderStatus
FINAL_STATUSES = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.EXPIRED_IN_MATCH})
OPEN_STATUSES = frozenset({S.PENDING_SUBMIT, S.NEW, S.PARTIALLY_FILLED, S.UNKNOWN})

# The allowed moves of the order state machine. UNKNOWN is "we sent it but do not know the
# outcome" (timeout, 5xx): any exchange answer may resolve it. A final status never moves.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_SUBMIT: frozenset(
        {S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
        | {S.EXPIRED_IN_MATCH, S.UNKNOWN}
    ),
    S.UNKNOWN: frozenset(
        {S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
        | {S.EXPIRED_IN_MATCH}
    ),
    S.NEW: frozenset(
        {S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.EXPIRED_IN_MATCH, S.REJECTED}
    ),
    S.PARTIALLY_FILLED: frozenset({S.FILLED, S.CANCELED, S.EXPIRED, S.EXPIRED_IN_MATCH}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.EXPIRED_IN_MATCH: frozenset(),
}


class IllegalTransition(DomainError):
    status = 409
    code = "ILLEGAL_ORDER_TRANSITION"


class Order(models.Model):
    """One order as Spark knows it; the client order id is the idempotency key."""

    Status = OrderStatus

    client_order_id = models.CharField(max_length=36, unique=True)
    exchange_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Conditional (STOP/TAKE_PROFIT) orders live in Binance's algo service with their own id.
    is_algo = models.BooleanField(default=False)
    algo_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    environment = models.CharField(max_length=8, choices=Environment.choices)
    symbol = models.CharField(max_length=20, db_index=True)
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=20, choices=OrderType.choices)
    time_in_force = models.CharField(max_length=4, choices=TimeInForce.choices, blank=True)
    quantity = models.DecimalField(**PRICE)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    stop_price = models.DecimalField(**PRICE, null=True, blank=True)
    reduce_only = models.BooleanField(default=False)
    # The position the order belongs to: BOTH (one-way account) or LONG/SHORT (hedge mode).
    position_side = models.CharField(
        max_length=5, choices=PositionSide.choices, default=PositionSide.BOTH
    )
    # closePosition=true (a TP/SL of the whole position): quantity holds the size when placed.
    close_position = models.BooleanField(default=False)
    # TRAILING_STOP_MARKET: the callback in percent (0.1 to 10) and the optional activation.
    callback_rate = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    activation_price = models.DecimalField(**PRICE, null=True, blank=True)
    # A dry-run trailing stop trails on paper: the best price since it activated (None: not yet).
    trail_extreme = models.DecimalField(**PRICE, null=True, blank=True)
    # TP/SL given with an entry, placed on the position at its first fill (futures/attached.py).
    attach_take_profit = models.DecimalField(**PRICE, null=True, blank=True)
    attach_stop_loss = models.DecimalField(**PRICE, null=True, blank=True)
    attach_state = models.CharField(
        max_length=8, choices=AttachState.choices, default=AttachState.NONE, blank=True
    )
    dry_run = models.BooleanField(default=True)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_SUBMIT
    )
    filled_qty = models.DecimalField(**PRICE, default=ZERO)
    # When Spark last learned that filled_qty grew (Spark's clock). The risk gate counts a fill
    # seen at or after the position snapshot's REST request as not yet in that snapshot: without
    # it, a FILLED order left the open-order sum before the snapshot had its fill, and parallel
    # orders passed the cap (issue 20, finding 1).
    filled_seen_at = models.DateTimeField(null=True, blank=True)
    avg_price = models.DecimalField(**PRICE, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=32, blank=True, default="api")
    raw_response = models.JSONField(default=dict, blank=True)
    risk_decision = models.JSONField(default=dict, blank=True)
    error = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "environment"], name="futures_order_status_env"),
            # The gate's read of fills newer than the position snapshot, under its lock.
            models.Index(fields=["symbol", "filled_seen_at"], name="futures_order_fill_seen"),
            # Entries whose TP/SL still wait for a fill: read after every order event.
            models.Index(
                fields=["attach_state"],
                name="futures_order_attach_wait",
                condition=models.Q(attach_state__in=["pending", "placing"]),
            ),
        ]
        permissions = [
            ("place_order", "Can place futures orders"),
            ("cancel_order", "Can cancel futures orders"),
            ("change_leverage", "Can change leverage"),
            ("change_margin_type", "Can change the margin type"),
            ("control_streams", "Can start and stop the exchange streams"),
            ("reconcile_orders", "Can reconcile orders with the exchange"),
        ]

    def __str__(self) -> str:
        return f"{self.client_order_id} {self.side} {self.quantity} {self.symbol} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def leaves_qty(self) -> Decimal:
        return max(self.quantity - self.filled_qty, ZERO)

    def can_cancel(self) -> bool:
        # A dry run that rests on paper (a trigger or a limit away from the market) is
        # cancelled in Spark only; one filled on paper is final like any other.
        if self.dry_run:
            return self.status == S.NEW
        return self.status in (S.NEW, S.PARTIALLY_FILLED, S.UNKNOWN)

    def can_move_to(self, status: str) -> bool:
        return status == self.status or status in TRANSITIONS[self.status]

    def apply_status(self, status: str, *, strict: bool = False) -> bool:
        """Move to status if the state machine allows it; return True when it changed.

        An illegal move (FILLED back to NEW, say: a late, replayed event) is ignored and
        returns False, or raises IllegalTransition with strict=True.
        """
        if status not in OrderStatus.values:
            raise IllegalTransition(
                "Unknown order status %(value)r.", params={"value": status}, details={"to": status}
            )
        if status == self.status:
            return False
        if status not in TRANSITIONS[self.status]:
            if strict:
                raise IllegalTransition(
                    "An order cannot move from %(from_status)s to %(status)s.",
                    params={"from_status": self.status, "status": status},
                    details={"from": self.status, "to": status},
                )
            return False
        self.status = status
        return True

    def apply_report(self, report: OrderReport) -> list[str]:
        """Move towards what the exchange reports; return the names of the fields it changed.

        Quantities only grow and the status follows TRANSITIONS, so an older report arriving
        late never undoes a newer one (freqtrade's Order.update_from_ccxt_object, with rules).
        """
        fields: list[str] = []
        if self.exchange_order_id is None and report.exchange_order_id not in (None, ""):
            self.exchange_order_id = int(report.exchange_order_id)
            fields.append("exchange_order_id")
        if report.filled_qty is not None and report.filled_qty > self.filled_qty:
            self.filled_qty = report.filled_qty
            # The gate counts this fill on top of any position read requested from now on.
            self.filled_seen_at = timezone.now()
            fields += ["filled_qty", "filled_seen_at"]
        if (
            report.avg_price
            and (self.avg_price or ZERO) != report.avg_price
            and (report.filled_qty is None or report.filled_qty >= self.filled_qty)
        ):
            self.avg_price = report.avg_price
            fields.append("avg_price")
        if report.position_side in PositionSide.values and report.position_side != (
            self.position_side
        ):
            # The exchange's `ps` is the side the order belongs to (hedge mode: LONG/SHORT).
            self.position_side = report.position_side
            fields.append("position_side")
        status = report.status
        if status in OrderStatus.values and self.apply_status(status):
            fields.append("status")
        elif status and status not in OrderStatus.values:
            logger.info("order %s: exchange status %s not modelled", self.client_order_id, status)
        return fields


class Fill(models.Model):
    """One trade of an order; (order, trade_id) is unique so a replayed event changes nothing."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fills")
    trade_id = models.BigIntegerField()
    price = models.DecimalField(**PRICE)
    qty = models.DecimalField(**PRICE)
    commission = models.DecimalField(**PRICE, default=ZERO)
    commission_asset = models.CharField(max_length=12, blank=True)
    realized_pnl = models.DecimalField(**PRICE, default=ZERO)
    is_maker = models.BooleanField(default=False)
    simulated = models.BooleanField(default=False)
    traded_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fill")
        verbose_name_plural = _("fills")
        ordering = ["traded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "trade_id"], name="futures_fill_unique_trade")
        ]

    def __str__(self) -> str:
        return f"fill {self.trade_id} {self.qty}@{self.price}"


class PositionSnapshot(models.Model):
    """The current position of one symbol and side in one environment (updated in place).

    A one-way account has one row per symbol (position_side BOTH); a hedge-mode account one per
    symbol and side (LONG, SHORT), the short side's amount negative as Binance reports it.
    """

    environment = models.CharField(max_length=8, choices=Environment.choices)
    symbol = models.CharField(max_length=20)
    position_side = models.CharField(
        max_length=5, choices=PositionSide.choices, default=PositionSide.BOTH
    )
    position_amt = models.DecimalField(**PRICE, default=ZERO)  # signed: negative = short
    entry_price = models.DecimalField(**PRICE, default=ZERO)
    mark_price = models.DecimalField(**PRICE, default=ZERO)
    unrealized_pnl = models.DecimalField(**PRICE, default=ZERO)
    leverage = models.PositiveIntegerField(null=True, blank=True)
    margin_type = models.CharField(max_length=10, blank=True)
    liquidation_price = models.DecimalField(**PRICE, default=ZERO)
    # The margin of an isolated position (isolatedMargin); cross positions share the wallet.
    isolated_margin = models.DecimalField(**PRICE, default=ZERO)
    source = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the risk gate reads: the position of the newest REST read (positionRisk) and when
    # Spark SENT that request (Spark's clock). Every fill Spark had seen before that moment had
    # happened on the exchange before it answered, so it is in this amount; fills seen later are
    # added by the gate. A slower, older answer never overwrites a newer one (compare-and-set on
    # rest_requested_at). Stream updates keep position_amt current for pages but leave these.
    rest_position_amt = models.DecimalField(**PRICE, null=True, blank=True)
    rest_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "symbol", "position_side"],
                name="futures_position_one_per_symbol_side",
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.position_amt} @ {self.entry_price}"


class AccountSnapshot(models.Model):
    """The latest account totals of one environment (one row each, updated in place)."""

    environment = models.CharField(max_length=8, choices=Environment.choices, unique=True)
    wallet_balance = models.DecimalField(**PRICE, default=ZERO)
    available_balance = models.DecimalField(**PRICE, default=ZERO)
    margin_balance = models.DecimalField(**PRICE, default=ZERO)
    unrealized_pnl = models.DecimalField(**PRICE, default=ZERO)
    maint_margin = models.DecimalField(**PRICE, default=ZERO)
    margin_ratio = models.DecimalField(**PRICE, default=ZERO)
    raw = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account snapshot")
        verbose_name_plural = _("account snapshots")

    def __str__(self) -> str:
        return f"{self.environment} wallet {self.wallet_balance}"
