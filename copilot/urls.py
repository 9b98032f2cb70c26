"""Pages of the copilot app."""

urlpatterns: list = []
