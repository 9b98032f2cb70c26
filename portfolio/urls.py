"""Pages of the portfolio app."""

from django.urls import path

from portfolio import views

urlpatterns = [path("portfolio", views.portfolio_page, name="portfolio")]
