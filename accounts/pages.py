"""The one read check of server-rendered pages, mirroring the API's read rule."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def page_access(request):
    """None when the page may be shown; a redirect to the login page; or raise 403.

    While SPARK_PUBLIC_READS is on every page is open; otherwise it needs the viewer role.
    """
    if settings.SPARK_PUBLIC_READS:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm("accounts.view_platform"):
        raise PermissionDenied
    return None
