"""Read-mostly admin of orders and fills: orders change only through futures.services."""

from __future__ import annotations

from django.contrib import admin

from futures.models import AccountSnapshot, Fill, Order, PositionSnapshot


class FillInline(admin.TabularInline):
    model = Fill
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Fill._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "client_order_id",
        "environment",
        "symbol",
        "side",
        "type",
        "quantity",
        "price",
        "status",
        "filled_qty",
        "dry_run",
        "user",
        "created_at",
    )
    list_filter = ("environment", "status", "dry_run", "symbol", "side", "type")
    search_fields = ("client_order_id", "=exchange_order_id", "=algo_id", "symbol")
    date_hierarchy = "created_at"
    inlines = [FillInline]

    def get_readonly_fields(self, request, obj=None):
        # Every change goes through the order service (state machine, audit, exchange).
        return [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PositionSnapshot)
class PositionSnapshotAdmin(admin.ModelAdmin):
    list_display = (
        "environment",
        "symbol",
        "position_amt",
        "entry_price",
        "mark_price",
        "unrealized_pnl",
        "leverage",
        "margin_type",
        "updated_at",
    )
    list_filter = ("environment",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PositionSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AccountSnapshot)
class AccountSnapshotAdmin(admin.ModelAdmin):
    list_display = (
        "environment",
        "wallet_balance",
        "available_balance",
        "margin_ratio",
        "updated_at",
    )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AccountSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False
