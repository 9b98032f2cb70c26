"""schemathesis over every operation of /api/openapi.json: anonymous, trader and operator.

No answer is a 5xx; every error is the JSON error shape; a refused request (4xx) changes no
state (order/limit/breaker/token rows and `ok` audit entries are compared before and after).
The exchange is the stand-in, so live order paths really reach an exchange.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings

from tests.security.state import diff, fingerprint

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())

FUZZ = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture
def fuzz_env(sim_settings, settings):
    # The WSGI handler closes the DB connection after each request, as a server would; the test
    # client does not, or the test transaction would be lost. Do as the test client does.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # A stand-in exchange for the order paths; rate limits high so fuzzing is never throttled.
    settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE = 1000
    # No stream supervisor runs in this process: ws.start/stop answer 503 after this wait.
    settings.BINANCE_HTTP_TIMEOUT = 2
    # The singleton rows (limits, breaker) are created on first use by any read; create them
    # now so a refused request is compared against a settled state.
    from risk.services import risk_status

    risk_status()
    yield sim_settings
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _state() -> dict:
    state = fingerprint()
    # An order the exchange refused is stored as REJECTED on purpose (the record of the attempt).
    from futures.models import Order

    state["futures.Order"] = {
        "rows": Order.objects.exclude(status__in=["REJECTED", "UNKNOWN"]).count(),
    }
    # A position action reads the position from the exchange before it refuses (no position,
    # wrong side) and stores that read (a zero row, a moved mark and time); the open positions
    # themselves must not change.
    from futures.models import PositionSnapshot

    state["futures.PositionSnapshot"] = sorted(
        PositionSnapshot.objects.exclude(position_amt=0).values_list(
            "environment", "symbol", "position_side", "position_amt"
        )
    )
    return state


def _header(response, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return ""


def _check(case, headers: dict) -> None:
    before = _state()
    response = case.call(headers=headers)
    status = response.status_code
    where = f"{case.method} {case.formatted_path} -> {status}: {response.text[:400]}"
    if status == 503 and "STREAMS_UNAVAILABLE" in response.text:
        # The one designed 503 here: no stream supervisor runs beside an in-process test
        # client (the streams API tests cover it with a real one). Still the JSON shape.
        assert json.loads(response.text)["error"]["code"] == "STREAMS_UNAVAILABLE"
        return
    assert status < 500, where
    if status >= 400:
        assert _header(response, "content-type").startswith("application/json"), where
        body = json.loads(response.text)
        assert set(body) == {"error"}, where
        error = body["error"]
        assert set(error) == {"code", "message", "details"}, where
        assert isinstance(error["code"], str) and error["code"].isupper(), where
        assert isinstance(error["message"], str) and error["message"], where
        assert isinstance(error["details"], dict), where
        assert diff(before, _state()) == {}, where


@schema.parametrize()
@FUZZ
def test_anonymous_callers_get_no_5xx_and_json_errors(case, fuzz_env):
    _check(case, {})


@schema.parametrize()
@FUZZ
def test_a_trader_gets_no_5xx_and_json_errors(case, fuzz_env, alice, token_for):
    _check(case, {"Authorization": f"Bearer {token_for(alice)}"})


@schema.parametrize()
@FUZZ
def test_an_operator_gets_no_5xx_and_json_errors(case, fuzz_env, olga, token_for):
    _check(case, {"Authorization": f"Bearer {token_for(olga)}"})
