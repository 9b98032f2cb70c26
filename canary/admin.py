"""Canary runs in admin: read-only (the evidence chain must not be edited by hand)."""

from __future__ import annotations

from django.contrib import admin

from canary.models import CanaryRun


@admin.register(CanaryRun)
class CanaryRunAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "started_by_name", "symbol", "side", "quantity", "status"]
    list_filter = ["status", "environment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
