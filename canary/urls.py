"""Pages of the canary app."""

from django.urls import path

from canary import views

urlpatterns = [path("canary/", views.canary_page, name="canary")]
