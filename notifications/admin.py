"""Operators read the outbox in admin; rows are written only by the services and the worker."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import Delivery, DeskAction, Event, TelegramLink


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ("id", "kind", "dedupe_key", "owner", "created_at", "fanned_out_at")
    list_filter = ("kind",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("id", "event", "user", "channel", "status", "attempts", "last_error")
    list_filter = ("status", "channel")


@admin.register(TelegramLink)
class TelegramLinkAdmin(ReadOnly):
    list_display = ("user", "chat_id", "username", "linked_at")


@admin.register(DeskAction)
class DeskActionAdmin(ReadOnly):
    list_display = ("id", "user", "chat_id", "outcome", "created_at", "expires_at", "used_at")
    exclude = ("token",)
