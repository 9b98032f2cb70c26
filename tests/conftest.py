"""Shared fixtures: the cast of users, tokens, API helpers and real servers.

The cast: alice trades, bob only reads (viewer), olga operates (limits, breaker, tokens),
mallory has an account but no role and must see nothing she may not.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from accounts.models import ApiToken
from accounts.roles import OPERATOR, TRADER, VIEWER, assign_role
from tests.support.servers import DaphneServer

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_user(db):
    def make(username: str, role: str | None = None, **extra):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
        if role:
            assign_role(user, role)
        return user

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice", TRADER)


@pytest.fixture
def bob(make_user):
    return make_user("bob", VIEWER)


@pytest.fixture
def olga(make_user):
    return make_user("olga", OPERATOR)


@pytest.fixture
def mallory(make_user):
    return make_user("mallory")


@pytest.fixture
def token_for(db):
    def issue(user, **kwargs) -> str:
        return ApiToken.issue(user, **kwargs)[1]

    return issue


class Api:
    """A Django test client speaking JSON with an optional bearer token."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, token):
        token = token if token is not None else self.token
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path, token=None, **params):
        return self.client.get(path, params, **self._headers(token))

    def post(self, path, body=None, token=None, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type="application/json", **self._headers(token)
        )


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def daphne(transactional_db):
    """Start Spark under real Daphne processes (env overrides per call); stop them after."""
    servers: list[DaphneServer] = []

    def start(**env) -> DaphneServer:
        server = DaphneServer({k: str(v) for k, v in env.items()}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def browser():
    """A headless Chromium; use with the `daphne` fixture for a real server."""
    import shutil

    from tests.support.browser import make_driver

    driver, profile = make_driver()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
