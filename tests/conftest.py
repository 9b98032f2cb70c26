"""Shared fixtures: the cast of users, tokens, API helpers and real servers.

The cast: alice trades, bob only reads (viewer), olga operates (limits, breaker, tokens),
mallory has an account but no role and must see nothing she may not.
"""

from __future__ import annotations

import json
import os

import pytest
from django.contrib.auth import get_user_model

from accounts.models import ApiToken
from accounts.roles import OPERATOR, TRADER, VIEWER, assign_role
from tests.support.servers import ROOT, DaphneServer

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config):
    """Let every subprocess a test starts import tests.settings (DJANGO_SETTINGS_MODULE is
    inherited), whatever its working directory: a script's own folder comes first on its path."""
    paths = [str(ROOT), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))


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

    def _headers(self, token, lang: str | None = None):
        token = token if token is not None else self.token
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if lang:  # a token client may pick the language of `message` (codes stay English)
            headers["HTTP_ACCEPT_LANGUAGE"] = lang
        return headers

    def get(self, path, token=None, **params):
        return self.client.get(path, params, **self._headers(token))

    def post(self, path, body=None, token=None, raw: str | None = None, lang: str | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type="application/json", **self._headers(token, lang)
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


# --- the exchange stand-in ----------------------------------------------------------------------
DEMO_KEY = "spark-demo-key"
DEMO_SECRET = "spark-demo-secret-0000000000000000"
BTCTURK_KEY = "spark-demo-btcturk"
BTCTURK_SECRET = "c3BhcmstZGVtby1idGN0dXJrLXNlY3JldA=="


class Sim:
    """A running stand-in (separate process, real sockets) and how to point Spark at it."""

    def __init__(self, process):
        self.process = process
        self.base_url = process.base_url
        self.ws_url = process.ws_url
        self.api_key = process.api_key
        self.api_secret = process.api_secret
        self.control = process.control

    def spark_env(self) -> dict[str, str]:
        """Environment for a Spark process (Daphne, run_streams) trading on this stand-in."""
        return {
            "BINANCE_FUTURES_BASE_URL": self.base_url,
            "BINANCE_FUTURES_WS_URL": self.ws_url,
            "BINANCE_API_KEY": self.api_key,
            "BINANCE_API_SECRET": self.api_secret,
            "BINANCE_SPOT_BASE_URL": self.base_url,
            "BTCTURK_BASE_URL": self.base_url,
            "BTCTURK_API_KEY": BTCTURK_KEY,
            "BTCTURK_API_SECRET": BTCTURK_SECRET,
        }


@pytest.fixture(autouse=True)
def no_position_mode_reading():
    """Every test starts without a cached reading of the account's position mode.

    Spark caches the reading by the exchange's URL and key, which most tests share (the default
    settings, or the session's one stand-in): one test's hedge reading would make the next
    test's account look hedge (sim_settings forgets the stand-in's reading the same way).
    """
    from futures.position_mode import position_mode_forget

    position_mode_forget()
    yield
    position_mode_forget()


@pytest.fixture(scope="session")
def sim_process(tmp_path_factory):
    """One stand-in process for the session (started once; `sim` resets it per test)."""
    from simexchange.testing import SimProcess

    state = tmp_path_factory.mktemp("sim") / "state.json"
    process = SimProcess(
        env={
            "SIM_API_KEYS": f"{DEMO_KEY}:{DEMO_SECRET},other-key:other-secret-1111",
            "SIM_BTCTURK_KEYS": f"{BTCTURK_KEY}:{BTCTURK_SECRET}",
            "SIM_SEED": "42",
            "SIM_TICK_MS": "100",
            "SIM_STATE_FILE": str(state),
            "SIM_STATE_SYNC": "write",  # kill-safe; the suite needs no disk flush per order
        }
    ).start()
    yield process
    process.stop()


@pytest.fixture
def sim(sim_process):
    """The stand-in, reset to its starting state and listed prices, no faults, feed paused."""
    from simexchange.market import SYMBOLS

    sim_process.control.clear_faults()
    sim_process.control.reset()
    sim_process.control.feed(False)
    # Other tests move prices on the shared process: start each test from the listed ones.
    for symbol, spec in SYMBOLS.items():
        sim_process.control.set_price(symbol, spec.base_price, mark=spec.base_price)
    yield Sim(sim_process)
    sim_process.control.clear_faults()


@pytest.fixture
def sim_settings(settings, sim):
    """Point this process's Django settings at the stand-in."""
    for name, value in sim.spark_env().items():
        setattr(settings, name, value)
    settings.BINANCE_FUTURES_RESOLVED_ENV = "sim"
    from futures.position_mode import position_mode_forget

    # The stand-in is one process for the session, reset to one-way mode per test, and Spark
    # caches its reading of the mode by URL and key: a hedge test must not leave its reading.
    position_mode_forget()
    yield sim
    position_mode_forget()


@pytest.fixture
def exchange(sim_settings):
    """The stand-in, with this process's connector fresh (no back-off, no cached marks) and
    ETHUSDT at its listed 3,400 (other tests move prices on the shared process)."""
    from futures.binance.http import BinanceHttp
    from futures.binance.rest import client_from_settings

    BinanceHttp.clear_backoff()
    client_from_settings()._marks.clear()  # noqa: SLF001 - prices move between tests
    sim_settings.control.set_price("ETHUSDT", "3400", mark="3400")
    yield sim_settings
    BinanceHttp.clear_backoff()


@pytest.fixture
async def drain_sync_thread():
    """After an async stream test, let the sync work it queued finish while its loop still runs.

    A user event handled in asgiref's shared sync thread may send to the channel layer after the
    test's loop has stopped. While that loop runs, spark_site.groups queues the event on it; once
    it has stopped (but is not closed) the send goes through async_to_sync, which waits on that
    loop forever: the shared thread never frees and every later sync_to_async call hangs.
    """
    yield
    import asyncio

    from asgiref.sync import sync_to_async

    await asyncio.wait_for(sync_to_async(lambda: None, thread_sensitive=True)(), 30)


@pytest.fixture
def fresh_channel_layer():
    """A new channel layer object for the test: pytest-asyncio gives every test its own event
    loop, and a channels-redis layer (with its connections) must not outlive the loop it was
    made on."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test databases; before they are dropped, close the connections asgiref's
    shared sync thread opened for async tests (they persist for CONN_MAX_AGE), or PostgreSQL
    refuses to drop a database still in use."""
    yield
    import asyncio

    from asgiref.sync import sync_to_async
    from django.db import connections

    async def close() -> None:
        await sync_to_async(connections.close_all, thread_sensitive=True)()

    asyncio.run(close())
