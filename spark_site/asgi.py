"""ASGI entry point: HTTP through Django (one worker-thread hop per request, see
spark_site/http_handler.py), WebSockets through Channels (auth, and the same-origin check of
spark_site/ws_origin.py)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")

import django  # noqa: E402

# Django must be set up before consumers (and their models) are imported.
django.setup(set_prefix=False)

from spark_site.http_handler import OneHopASGIHandler  # noqa: E402

django_http = OneHopASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from spark_site.routing import websocket_urlpatterns  # noqa: E402
from spark_site.startup import StartupHooks  # noqa: E402
from spark_site.static_handler import SafeStaticFilesHandler  # noqa: E402
from spark_site.ws_origin import SameOriginValidator  # noqa: E402

application = StartupHooks(
    ProtocolTypeRouter(
        {
            "http": SafeStaticFilesHandler(django_http),
            "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
