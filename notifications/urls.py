from django.urls import path

from notifications import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/telegram/code", views.link_code, name="telegram_link_code"),
    path("profile/telegram/unlink", views.unlink, name="telegram_unlink"),
    path("profile/notifications", views.preferences, name="notification_preferences"),
    path("profile/summary-time", views.summary_time, name="summary_time"),
]
