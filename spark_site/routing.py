"""WebSocket routes of every app."""

from futures.routing import websocket_urlpatterns as futures_ws

websocket_urlpatterns = [*futures_ws]
