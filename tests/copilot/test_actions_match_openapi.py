"""Every action the copilot produces names a real endpoint and carries a body it accepts.

The check reads the OpenAPI document this API serves at /api/openapi.json: the path and method
must exist, and the body must validate against the endpoint's request schema. /metrics is not
an API route (django-prometheus serves it), so it is fetched for real instead.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from copilot.parser import COMMANDS, interpret
from tests.copilot.eval_set import CASES


def _all_actions() -> dict[tuple[str, str], list[tuple[str, dict | None]]]:
    """(method, path) -> [(prompt, body)] over the evaluation set and the table's examples."""
    prompts = [(p, c) for p, _, _, c in CASES]
    prompts += [(example, None) for c in COMMANDS for example in c.examples]
    by_endpoint: dict[tuple[str, str], list] = {}
    for prompt, context in prompts:
        action = interpret(prompt, context)["action"]
        path = action["path"].partition("?")[0]  # a GET's query rides in its path
        by_endpoint.setdefault((action["method"], path), []).append((prompt, action["body"]))
    return by_endpoint


ACTIONS = _all_actions()
# commands whose route is not in the API yet (their answers say `needsEndpoint`): none now
PENDING = {(c.method, c.path) for c in COMMANDS if not c.available}
ENDPOINTS = sorted(set(ACTIONS) - PENDING)


def test_every_command_has_its_route_and_no_answer_is_pending(openapi):
    # The cockpit issue added the last routes (trailing stop, modify, funding).
    assert not PENDING
    answers = [interpret(example) for c in COMMANDS for example in c.examples]
    assert answers and not any(a["needsEndpoint"] for a in answers)


def test_the_actions_cover_every_endpoint_of_the_command_table():
    assert {(c.method, c.path) for c in COMMANDS} == set(ACTIONS)


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _request_schema(spec: dict, operation: dict) -> dict | None:
    body = operation.get("requestBody")
    if not body:
        return None
    schema = body["content"]["application/json"]["schema"]
    # resolve "#/components/..." refs against the whole document
    return {**schema, "components": spec.get("components", {})}


def _properties(spec: dict, schema: dict) -> dict:
    """The fields of a request schema, through its "#/components/..." reference."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/"):
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
        return node.get("properties", {})
    return schema.get("properties", {})


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_each_action_is_a_real_endpoint_with_a_valid_body(endpoint, openapi, client, db):
    method, path = endpoint
    if path == "/metrics":
        response = client.get("/metrics")
        assert response.status_code == 200
        assert b"spark_" in response.content
        return
    operations = openapi["paths"].get(path)
    assert operations is not None, f"{path} is not an endpoint of this API (yet)"
    operation = operations.get(method.lower())
    assert operation is not None, f"{path} has no {method}"
    schema = _request_schema(openapi, operation)
    problems = []
    for prompt, body in ACTIONS[endpoint]:
        if method == "GET":
            if body is not None:
                problems.append(f"{prompt!r}: a GET action carries a body")
            continue
        if schema is None:
            if body not in (None, {}):
                problems.append(f"{prompt!r}: {path} takes no body, got {body}")
            continue
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
        # a field the endpoint does not know is dropped silently by the API: never send one
        known = set(_properties(openapi, schema))
        for extra in sorted(set(body or {}) - known):
            problems.append(f"{prompt!r}: {path} has no field {extra!r}")
        for error in errors:
            problems.append(f"{prompt!r}: {body} -> {error.message} at {list(error.path)}")
    assert not problems, "\n".join(problems)
