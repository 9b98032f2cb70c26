"""Pages of the futures app."""

from django.urls import path

from futures import views

urlpatterns = [path("", views.dashboard, name="dashboard")]
