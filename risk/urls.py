from django.urls import path

from risk import views

urlpatterns = [path("limits/", views.limits_page, name="limits")]
