"""Pages of the history app."""

from django.urls import path

from history import views

urlpatterns = [path("history", views.history_page, name="history")]
