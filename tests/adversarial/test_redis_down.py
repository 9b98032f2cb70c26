"""Finding 8: with Redis down, every route that needs it answers 503 `SERVICE_DEGRADED`.

A real Daphne on PostgreSQL uses a throwaway redis-server as its cache and channel layer; the
Redis process is killed, then started again on the same port. While it is down: the login page
(GET and POST) is a Turkish 503 page that says the service is degraded, `ws.start`/`ws.status`
answer 503 in the error shape; when it returns, the same server recovers without a restart.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import PASSWORD
from tests.support.servers import free_port
from tests.support.sessions import session_cookie

pytestmark = [pytest.mark.backends, pytest.mark.timeout(180)]


class ThrowawayRedis:
    """A redis-server of this test only, that can be killed and restarted on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        for _ in range(100):
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def throwaway_redis():
    server = ThrowawayRedis()
    server.start()
    yield server
    server.kill()


def login_page(http: requests.Session, url: str) -> requests.Response:
    return http.get(url + "/login/", timeout=30)


def login_post(http: requests.Session, url: str, csrf: str) -> requests.Response:
    return http.post(
        url + "/login/",
        data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": url + "/login/"},
        allow_redirects=False,
        timeout=30,
    )


def live_socket(server, session: str):
    return connect(
        server.ws_url + "/ws/live/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": server.url},
        open_timeout=10,
    )


def assert_ping(ws) -> None:
    ws.send(json.dumps({"action": "ping"}))
    assert json.loads(ws.recv(timeout=30))["type"] == "pong"


def assert_degraded_json(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "SERVICE_DEGRADED"
    assert set(error) == {"code", "message", "details"}
    assert "redis://" not in response.text and "Traceback" not in response.text


def test_routes_answer_503_while_redis_is_down_and_recover_when_it_returns(
    daphne, sim, throwaway_redis, alice, token_for
):
    server = daphne(
        REDIS_URL=throwaway_redis.url, SPARK_STREAMS_EMBEDDED="false", **sim.spark_env()
    )
    token = token_for(alice)
    session = session_cookie(alice)
    auth = {"Authorization": f"Bearer {token}"}
    http = requests.Session()
    assert login_page(http, server.url).status_code == 200
    csrf = http.cookies["csrftoken"]
    assert requests.get(server.url + "/futures/ws.status", timeout=30).status_code == 200
    before = live_socket(server, session)  # closed by the server during the outage
    before.send(json.dumps({"action": "subscribe", "topics": ["orders"]}))
    assert [json.loads(before.recv(timeout=30))["type"] for _ in range(2)] == [
        "snapshot",
        "subscribed",
    ]

    throwaway_redis.kill()
    # A socket open across the outage is told, and closed with 4503 (reconnect later).
    frame = json.loads(before.recv(timeout=30))
    assert frame["type"] == "error" and frame["error"]["code"] == "SERVICE_DEGRADED"
    with pytest.raises(ConnectionClosed) as closed:
        before.recv(timeout=30)
    assert closed.value.rcvd.code == 4503

    page = login_page(http, server.url)
    assert page.status_code == 503
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Hizmet geçici olarak kısıtlı" in page.text
    assert "Traceback" not in page.text and "redis" not in page.text.lower()
    posted = login_post(http, server.url, csrf)
    assert posted.status_code == 503 and "Hizmet geçici olarak kısıtlı" in posted.text
    assert "sessionid" not in http.cookies  # nobody was logged in through a blind throttle

    assert_degraded_json(requests.get(server.url + "/futures/ws.status", timeout=30))
    assert_degraded_json(
        requests.post(
            server.url + "/futures/ws.start",
            json={"symbols": ["BTCUSDT"]},
            headers=auth,
            timeout=30,
        )
    )
    # /health names the failing part; a route that needs no Redis still works.
    health = requests.get(server.url + "/health", timeout=30)
    assert health.status_code == 503 and health.json()["channel_layer"].startswith("error")
    me = requests.get(server.url + "/api/me", headers=auth, timeout=30)
    assert me.status_code == 200 and me.json()["username"] == "alice"

    throwaway_redis.start()  # same port, empty

    assert login_page(http, server.url).status_code == 200
    assert login_post(http, server.url, http.cookies["csrftoken"]).status_code == 302
    assert requests.get(server.url + "/futures/ws.status", timeout=30).status_code == 200
    health = requests.get(server.url + "/health", timeout=30)
    assert health.status_code == 200, health.text
    with live_socket(server, session) as after:
        after.send(json.dumps({"action": "subscribe", "topics": ["orders"]}))
        assert [json.loads(after.recv(timeout=30))["type"] for _ in range(2)] == [
            "snapshot",
            "subscribed",
        ]
    log = server.output()
    assert "Internal Server Error" not in log
