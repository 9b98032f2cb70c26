"""Log a test user in without the login form (which has tests of its own)."""

from __future__ import annotations

from importlib import import_module

from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from spark_site.ws_origin import SameOriginValidator


def session_key(user) -> str:
    """Save a real session of user, as the login form would, and return its key (the cookie)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.ThrottledPasswordBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


session_cookie = session_key  # the cookie value a Daphne server sharing the test database accepts


def websocket_app(urlpatterns):
    """The same stack as spark_site.asgi, without its start-up hooks (no embedded supervisor)."""
    return SameOriginValidator(AuthMiddlewareStack(URLRouter(urlpatterns)))


async def communicator(
    app, path: str, user=None, origin: str = "http://testserver"
) -> WebsocketCommunicator:
    """A browser's socket to app: its origin and host headers, and user's session cookie."""
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if user is not None:
        key = await sync_to_async(session_key)(user)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(app, path, headers=headers)
