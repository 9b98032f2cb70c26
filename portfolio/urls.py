"""Pages of the portfolio app."""

urlpatterns: list = []
