"""Pages of the copilot app."""

from django.urls import path

from copilot import views

urlpatterns = [
    path("copilot-home", views.copilot_home, name="copilot_home"),
    path("strategy-lab-copilot", views.strategy_lab, name="strategy_lab_copilot"),
]
