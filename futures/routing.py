"""WebSocket routes of the futures app (live updates to the browser)."""

from django.urls import path

from futures.consumers import LiveConsumer

websocket_urlpatterns: list = [path("ws/live/", LiveConsumer.as_asgi())]
