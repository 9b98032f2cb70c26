"""WebSocket routes of every app."""

from futures.routing import websocket_urlpatterns as futures_ws
from strategies.routing import websocket_urlpatterns as strategies_ws

websocket_urlpatterns = [*futures_ws, *strategies_ws]
