"""The copilot's rows: a user's chat history and saved strategy drafts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChatMessage(models.Model):
    """One prompt and the answer the copilot gave (history is per user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copilot_messages"
    )
    prompt = models.TextField()
    answer = models.JSONField()
    intent = models.CharField(max_length=40)
    lang = models.CharField(max_length=5)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="copilot_chat_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.prompt[:40]}"


class StrategyDraft(models.Model):
    """A strategy document (see copilot/strategy_schema.py) saved from the Strategy Lab."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategy_drafts"
    )
    name = models.CharField(max_length=120)
    document = models.JSONField()
    version = models.PositiveIntegerField(help_text="Version of the strategy document schema.")
    prompt = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("strategy draft")
        verbose_name_plural = _("strategy drafts")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name
