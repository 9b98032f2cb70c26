"""Risk limits in Django admin (staff); every change is audited with old and new values."""

from __future__ import annotations

from django.contrib import admin

from audit.services import record
from risk.models import CircuitBreaker, PnLEntry, RiskLimits, SymbolPositionLimit


class SymbolPositionLimitInline(admin.TabularInline):
    model = SymbolPositionLimit
    extra = 1

    # The symbol rows are part of the limits: whoever may change the limits may edit them
    # (the roles table grants risk.change_risklimits, not a separate permission for rows).
    def _may_change(self, request) -> bool:
        return request.user.has_perm("risk.change_risklimits")

    def has_view_permission(self, request, obj=None):
        return self._may_change(request) or request.user.has_perm("risk.view_risklimits")

    def has_add_permission(self, request, obj=None):
        return self._may_change(request)

    def has_change_permission(self, request, obj=None):
        return self._may_change(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_change(request)


@admin.register(RiskLimits)
class RiskLimitsAdmin(admin.ModelAdmin):
    list_display = [
        "max_notional_usd",
        "default_max_position_usd",
        "daily_loss_limit_usd",
        "trading_day_timezone",
        "trading_day_start_hour",
        "updated_at",
    ]
    inlines = [SymbolPositionLimitInline]

    def has_add_permission(self, request):
        # One row only: it is created on first use.
        return not RiskLimits.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        existing = RiskLimits.objects.filter(pk=RiskLimits.SINGLETON_PK).first()
        request._risk_limits_before = existing.as_dict() if existing else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Audit after the inlines are saved, so the symbol limits' new values are included.
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_risk_limits_before", {})
        after = RiskLimits.objects.get(pk=form.instance.pk).as_dict()
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        record(
            actor=request.user,
            action="risk.limits.change",
            target="risk_limits",
            payload={"old": before, "new": after, "changed": changed},
        )


@admin.register(PnLEntry)
class PnLEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "trading_day",
        "symbol",
        "kind",
        "amount",
        "asset",
        "source",
        "source_ref",
    ]
    list_filter = ["kind", "source", "trading_day"]
    search_fields = ["symbol", "source_ref"]

    def has_add_permission(self, request):
        return False  # through POST /futures/risk/record-pnl, so the breaker sees it

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CircuitBreaker)
class CircuitBreakerAdmin(admin.ModelAdmin):
    list_display = ["state", "opened_at", "opened_reason", "closed_at", "closed_by"]

    # State changes go through the audited services (API), never a raw admin edit.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
