"""Pages of the canary app."""

urlpatterns: list = []
