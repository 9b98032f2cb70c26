"""Finding 9 (/static/ traversal): a hostile static path is a 404, never a 500 or a file outside.

Sent byte for byte (http.client, no client-side normalisation) to a real Daphne serving the
same ASGI application as production.
"""

from __future__ import annotations

import http.client

import pytest

pytestmark = [pytest.mark.timeout(120)]

HOSTILE = [
    "/static/..%2f..%2fsettings.py",
    "/static/..%2f..%2fspark_site%2fsettings.py",
    "/static/%2e%2e/%2e%2e/spark_site/settings.py",
    "/static/%2e%2e%2f%2e%2e%2fmanage.py",
    "/static/%252e%252e%252f%252e%252e%252fmanage.py",
    "/static/..%252f..%252fmanage.py",
    "/static/%2e%2e%5c%2e%2e%5cmanage.py",
    "/static/..\\..\\manage.py",
    "/static/app.css%00.png",
    "/static/%00",
    "/static/%2500",
    "/static/%2fetc%2fpasswd",
    "/static//etc/passwd",
    "/static/%252fetc%252fpasswd",
    "/static/." + "/a" * 3000,
    "/static/" + "a" * 5000,
    "/static/" + "%2e%2e%2f" * 40 + "etc/passwd",
    "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/manage.py",
    "/static/%ff%fe",
    "/static/./../manage.py",
]


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_hostile_static_paths_are_404_and_never_serve_a_file_outside(daphne):
    server = daphne()
    secret_markers = [b"SECRET_KEY", b"DJANGO_SETTINGS_MODULE", b"root:"]
    answers = {}
    for path in HOSTILE:
        status, body = raw_get(server.port, path)
        answers[path[:80]] = status
        assert not any(marker in body for marker in secret_markers), path[:80]
    assert {p: s for p, s in answers.items() if s not in (400, 404)} == {}
    log = server.output()
    assert "Internal Server Error: /static" not in log
    assert "SuspiciousFileOperation" not in log


def test_a_real_static_file_is_still_served(daphne):
    server = daphne()
    status, body = raw_get(server.port, "/static/spark/live.js")
    assert status == 200 and body
