from django.contrib import admin

from copilot.models import ChatMessage, StrategyDraft


@admin.register(StrategyDraft)
class StrategyDraftAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "version", "updated_at")
    list_filter = ("version",)
    search_fields = ("name", "owner__username")


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("user", "intent", "lang", "created_at", "prompt")
    list_filter = ("intent", "lang")
    search_fields = ("prompt", "user__username")
