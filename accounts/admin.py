"""Admin for tokens, users and groups: changes limited by role, every change audited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import ROLES, role_rank
from audit.models import AuditEntry
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

    def get_readonly_fields(self, request, obj=None):
        # Moving a token to another user would let its holder answer as that user.
        return (*self.readonly_fields, "user") if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # An operator manages their own tokens and those of users below their role.
        owner_ok = (
            obj is None or obj.user_id == request.user.pk or may_manage(request.user, obj.user)
        )
        return super().has_change_permission(request, obj) and owner_ok

    def save_model(self, request, obj, form, change):
        before = ApiToken.objects.filter(pk=obj.pk).values("name", "expires_at").first() or {}
        super().save_model(request, obj, form, change)
        after = {"name": obj.name, "expires_at": obj.expires_at}
        record(
            actor=request.user,
            action="admin.token.change",
            target=obj.prefix,
            payload={"owner": obj.user.get_username(), "old": before, "new": after},
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            if token.user_id != request.user.pk and not may_manage(request.user, token.user):
                _refused(request, "token.revoke", token.prefix, "not_below_your_role")
                continue
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(actor=request.user, action="token.revoke", target=token.prefix)
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


# --------------------------------------------------------------------------- users and groups
# An operator holds auth.change_user so that they can manage viewers and traders. Django's own
# UserAdmin would also let them tick is_superuser on themselves or reset the superuser's
# password; these admins allow an operator only users below their own rank, never the
# privilege fields, and write every change (and every refusal) to the audit log.

User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)

# Fields only a superuser may set: each one hands out power beyond the role table.
_PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "user_permissions")


def user_state(user) -> dict:
    """The audited view of a user: no password hash, only whether one is set."""
    if user is None or user.pk is None:
        return {}
    return {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in user.user_permissions.all()
        ),
    }


def _changes(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def may_manage(actor, target) -> bool:
    """True when actor may change target: a superuser anyone; others only users below them.

    Never oneself (a role or privilege of one's own), a superuser, a staff user or a user at
    the actor's rank or above (another operator).
    """
    if actor.is_superuser:
        return True
    if target is None:
        return True
    if target.pk == actor.pk or target.is_superuser or target.is_staff:
        return False
    return role_rank(target) < role_rank(actor)


def _refused(request, action: str, target: str, reason: str) -> None:
    record(
        actor=request.user,
        action=action,
        target=target,
        payload={"reason": reason, "path": request.path},
        outcome=AuditEntry.Outcome.DENIED,
    )


class AuditedSaveMixin:
    """Audit an add or change form with the object's state before and after it is saved.

    The entry is written in save_related, after the many-to-many rows (groups, permissions) are
    saved, or a new role would be missing from it. Subclasses name the state function, the
    action prefix ("admin.user" gives admin.user.add / admin.user.change) and the state key
    that names the target.
    """

    audit_action: str
    audit_target: str

    @staticmethod
    def audit_state(obj) -> dict:
        raise NotImplementedError

    def audit_note(self, form) -> dict:
        """Extra payload keys for this form (say, that a password was set)."""
        return {}

    def save_model(self, request, obj, form, change):
        before = self.model._default_manager.filter(pk=obj.pk).first() if obj.pk else None
        request._spark_audit_before = self.audit_state(before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_spark_audit_before", {})
        after = self.audit_state(self.model._default_manager.get(pk=form.instance.pk))
        payload = {"old": before, "new": after, "changed": _changes(before, after)}
        record(
            actor=request.user,
            action=f"{self.audit_action}.{'change' if change else 'add'}",
            target=after[self.audit_target],
            payload={**payload, **self.audit_note(form)},
        )


@admin.register(User)
class SparkUserAdmin(AuditedSaveMixin, UserAdmin):
    audit_action = "admin.user"
    audit_state = staticmethod(user_state)
    audit_target = "username"

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += _PRIVILEGE_FIELDS
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            # Only roles below the actor's own: an operator hands out viewer and trader.
            below = [r for r in ROLES if role_rank(r) < role_rank(request.user)]
            kwargs["queryset"] = Group.objects.filter(name__in=below)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_manage(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and may_manage(request.user, obj)

    def _guard(self, request, object_id, action: str) -> None:
        if request.method != "POST" or object_id is None:
            return
        target = self.get_object(request, unquote(object_id))
        if target is not None and not may_manage(request.user, target):
            _refused(request, action, target.get_username(), "not_below_your_role")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._guard(request, object_id, "admin.user.change")
        return super().change_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request, id, form_url=""):
        self._guard(request, id, "admin.user.password")
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            target = self.get_object(request, unquote(id))
            record(
                actor=request.user,
                action="admin.user.password",
                target=target.get_username() if target else id,
                payload={"note": "password changed"},
            )
        return response

    def audit_note(self, form) -> dict:
        if "password1" in form.cleaned_data or "password" in form.changed_data:
            return {"note": "password changed"}
        return {}

    def delete_model(self, request, obj):
        before = user_state(obj)
        super().delete_model(request, obj)
        record(
            actor=request.user,
            action="admin.user.delete",
            target=before["username"],
            payload={"old": before},
        )


def group_state(group) -> dict:
    """The audited view of a group (a role): its name and permissions."""
    if group is None or group.pk is None:
        return {}
    return {
        "name": group.name,
        "permissions": sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
        ),
    }


@admin.register(Group)
class SparkGroupAdmin(AuditedSaveMixin, GroupAdmin):
    """Groups are the roles: only a superuser changes them (the role table is in the code)."""

    audit_action = "admin.group"
    audit_state = staticmethod(group_state)
    audit_target = "name"

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and not request.user.is_superuser:
            _refused(request, "admin.group.change", object_id or "", "superuser_only")
        return super().changeform_view(request, object_id, form_url, extra_context)
