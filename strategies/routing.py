"""WebSocket routes of the strategies app (include in spark_site/routing.py)."""

from django.urls import path

from strategies.consumers import OptimizationConsumer, RunnerConsumer

websocket_urlpatterns: list = [
    path("ws/strategies/opt/<int:opt_id>/", OptimizationConsumer.as_asgi()),
    path("ws/strategies/runners/", RunnerConsumer.as_asgi()),
]
