"""URLs: pages first (server-rendered), then the one API, admin and /metrics."""

from django.contrib import admin
from django.urls import include, path

from accounts.views import login_throttled
from spark_site.api import api
from spark_site.locale import set_language

urlpatterns = [
    # Before admin.site.urls: the admin's login answers 429 under the same per-IP throttle.
    path("admin/login/", login_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("accounts.urls")),
    path("", include("futures.urls")),
    path("", include("canary.urls")),
    path("", include("copilot.urls")),
    path("", include("portfolio.urls")),
    path("", include("strategies.urls")),
    path("", include("notifications.urls")),
    path("", include("history.urls")),
    path("", include("risk.urls")),
    path("", include("django_prometheus.urls")),
    path("", api.urls),
]

handler404 = "spark_site.views.not_found"
handler500 = "spark_site.views.server_error"
