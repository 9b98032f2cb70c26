"""WebSocket routes of the futures app (live updates to the browser)."""

websocket_urlpatterns: list = []
