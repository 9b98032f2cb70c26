"""Finding 9 (WebSocket): malformed frames, strict topics and an Origin check that counts the port.

All against a real Daphne and a real WebSocket client. A malformed frame used to close the socket
with 1011, `ticker:BTCUSDT\\n` was accepted as a topic, and an Origin on another port of an
allowed host was let in with the user's cookies.
"""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.servers import free_port
from tests.support.sessions import session_cookie

pytestmark = [pytest.mark.timeout(120)]


def open_socket(server, user, origin: str | None = None, path: str = "/ws/live/"):
    cookie = f"sessionid={session_cookie(user)}"
    return connect(
        server.ws_url + path,
        additional_headers={"Cookie": cookie, "Origin": origin or server.url},
        open_timeout=10,
        max_size=None,
    )


def recv(ws) -> dict:
    return json.loads(ws.recv(timeout=10))


def assert_error(frame: dict, code: str) -> dict:
    assert frame["type"] == "error", frame
    assert set(frame["error"]) == {"code", "message", "details"}, frame
    assert frame["error"]["code"] == code, frame
    return frame["error"]["details"]


def assert_still_open(ws) -> None:
    ws.send(json.dumps({"action": "ping"}))
    assert recv(ws)["type"] == "pong"


@pytest.mark.parametrize("path", ["/ws/live/", "/ws/strategies/runners/"])
def test_malformed_frames_get_an_error_frame_and_the_socket_stays_open(daphne, bob, path):
    server = daphne()
    with open_socket(server, bob, path=path) as ws:
        if path != "/ws/live/":
            assert recv(ws)["type"] == "snapshot"
        cases = [
            ("not json {", "FRAME_NOT_JSON"),
            ("", "FRAME_NOT_JSON"),
            ("[1, 2, 3]", "FRAME_NOT_OBJECT"),
            ('"subscribe"', "FRAME_NOT_OBJECT"),
            ("null", "FRAME_NOT_OBJECT"),
            ("NaN-ish \udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), None),
            (b"\x00\x01binary", "FRAME_NOT_TEXT"),
            ('{"action": "subscribe", "topics": ["' + "x" * 200_000 + '"]}', "FRAME_TOO_LARGE"),
        ]
        for frame, code in cases:
            ws.send(frame)
            answer = recv(ws)
            if code is None:
                assert answer["type"] == "error"
            else:
                assert_error(answer, code)
            if path == "/ws/live/":
                assert_still_open(ws)
        # The socket is still usable after all of that.
        if path == "/ws/live/":
            ws.send(json.dumps({"action": "subscribe", "topics": ["orders"]}))
            frames = [recv(ws), recv(ws)]
            assert frames[-1] == {"type": "subscribed", "topics": ["orders"]}
    assert "Exception inside application" not in server.output()


def test_topics_are_matched_exactly_and_bad_ones_are_named(daphne, bob):
    server = daphne()
    hostile = [
        "ticker:BTCUSDT\n",
        "ticker:BTCUSDT\r\n",
        " ticker:BTCUSDT",
        "ticker:btcusdt",
        "Orders",
        "candles:BTCUSDT",
        "ticker:",
        "ticker:BTC-USDT",
        "ticker:BTCUSDT:extra",
        "ticker:" + "A" * 500,
    ]
    with open_socket(server, bob) as ws:
        for topic in hostile:
            ws.send(json.dumps({"action": "subscribe", "topics": [topic]}))
            details = assert_error(recv(ws), "UNKNOWN_TOPICS")
            assert details["topics"] == [topic[:64]]
            assert recv(ws) == {"type": "subscribed", "topics": []}
        for body in (
            {"action": "subscribe", "topics": "orders"},
            {"action": "subscribe", "topics": [1, {"a": 1}]},
            {"action": "subscribe"},
        ):
            ws.send(json.dumps(body))
            assert assert_error(recv(ws), "TOPICS_INVALID") == {"field": "topics"}
        ws.send(json.dumps({"action": "launch"}))
        assert assert_error(recv(ws), "UNKNOWN_ACTION") == {"action": "launch"}
        many = [f"ticker:SYM{i}USDT" for i in range(41)]
        ws.send(json.dumps({"action": "subscribe", "topics": many}))
        assert assert_error(recv(ws), "TOO_MANY_TOPICS") == {"max": 40, "requested": 41}
        # Nothing above subscribed anything; a good topic still works.
        ws.send(json.dumps({"action": "subscribe", "topics": ["ticker:BTCUSDT"]}))
        frames = [recv(ws), recv(ws)]
        assert frames[-1] == {"type": "subscribed", "topics": ["ticker:BTCUSDT"]}


def test_the_origin_check_compares_scheme_host_and_port(daphne, bob):
    server = daphne()
    other = free_port()
    with open_socket(server, bob) as ws:
        assert_still_open(ws)
    refused = [
        f"http://127.0.0.1:{other}",
        "http://127.0.0.1",
        f"https://127.0.0.1:{server.port}",
        f"http://localhost:{server.port}",
        f"http://127.0.0.1:{server.port}@evil.example",
        f"http://127.0.0.1:{server.port}/path",
        f"ftp://127.0.0.1:{server.port}",
        "null",
    ]
    for origin in refused:
        with pytest.raises(InvalidStatus) as denied:
            open_socket(server, bob, origin=origin)
        assert denied.value.response.status_code == 403, origin


def test_an_origin_listed_in_csrf_trusted_origins_is_accepted(daphne, bob):
    server = daphne(SPARK_CSRF_TRUSTED_ORIGINS="https://spark.example")
    with open_socket(server, bob, origin="https://spark.example") as ws:
        assert_still_open(ws)
    with pytest.raises(InvalidStatus):
        open_socket(server, bob, origin="https://spark.example:8443")
