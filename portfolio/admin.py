"""Admin: read the stored snapshots (they are written only by the refresh service)."""

from django.contrib import admin

from portfolio.models import PortfolioAsset, PortfolioSnapshot


class PortfolioAssetInline(admin.TabularInline):
    model = PortfolioAsset
    extra = 0
    can_delete = False
    readonly_fields = ["exchange", "asset", "quantity", "free", "locked", "price_usd", "value_usd"]
    fields = readonly_fields + ["stale"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(admin.ModelAdmin):
    list_display = ["taken_at", "total_usd", "partial", "latency_ms"]
    list_filter = ["partial"]
    date_hierarchy = "taken_at"
    readonly_fields = ["taken_at", "total_usd", "partial", "sources", "latency_ms"]
    inlines = [PortfolioAssetInline]

    def has_add_permission(self, request):
        return False
