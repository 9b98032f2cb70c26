"""API tokens in admin: hashed, with owner, use and expiry; revoke with one action."""

from django.contrib import admin, messages
from django.utils import timezone

from accounts.models import ApiToken
from audit.services import record


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "expires_at", "revoked")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at", "revoked_at")
    fields = (
        "user",
        "name",
        "prefix",
        "token_hash",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    actions = ["revoke"]

    @admin.display(boolean=True)
    def revoked(self, obj: ApiToken) -> bool:
        return obj.revoked_at is not None

    def has_add_permission(self, request):
        # A token made here could never be shown to anyone; use create_api_token.
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(actor=request.user, action="token.revoke", target=token.prefix)
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
