"""The auth backend: Django's ModelBackend, with a user's permission set read in one statement."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.ratelimit import login_blocked, note_login_attempt
from spark_site.middleware import client_ip

# Django's auth tables (AUTH_USER_MODEL is auth.User); the user id is always a parameter.
_PERMISSION_CODES_SQL = (
    "SELECT ct.app_label, p.codename FROM auth_permission p"
    " JOIN django_content_type ct ON ct.id = p.content_type_id"
    " WHERE p.id IN ("
    "SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %s"
    " UNION SELECT gp.permission_id FROM auth_group_permissions gp"
    " JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
)


class PermissionBackend(ModelBackend):
    """ModelBackend's permission answers, with get_all_permissions in one query instead of two.

    Same answers as ModelBackend (inactive and anonymous users have none, a superuser has all),
    memoised on the user object where ModelBackend keeps them (`_perm_cache`), so ModelBackend,
    listed after this backend for passwords, answers from the same set without querying again.
    The memo lives as long as the user object, that is one request: every request loads its
    user afresh, so a role removed or a permission revoked counts on the very next request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None  # passwords are ModelBackend's (checked once, not once per backend)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as cursor:
                cursor.execute(_PERMISSION_CODES_SQL, [user_obj.pk, user_obj.pk])
                codes = {f"{app}.{codename}" for app, codename in cursor.fetchall()}
            user_obj._perm_cache = codes  # noqa: SLF001 - ModelBackend's memo attribute
        return user_obj._perm_cache  # noqa: SLF001


class ThrottledPasswordBackend(ModelBackend):
    """ModelBackend's password check behind the one per-IP login throttle.

    Every password login (/login/, /admin/login/, any later form) comes through here, so one
    counter guards them all: a path that forgot the throttle in its view cannot be used to
    guess passwords. Raising PermissionDenied stops Django trying later backends.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            ip = client_ip(request)
            if login_blocked(ip):
                request.spark_login_throttled = True  # the failure's audit entry says why
                raise PermissionDenied
            note_login_attempt(ip)
        return super().authenticate(request, username=username, password=password, **kwargs)
