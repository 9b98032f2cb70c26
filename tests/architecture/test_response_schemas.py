"""Every API route declares what it answers (a ninja `response=` schema), so the OpenAPI
document describes each answer and ninja checks it: a shaping function that forgets a key is a
500 in the tests, not a silently different answer.

The exceptions are listed by method and path with the reason: file downloads, whose answer is
not JSON. A listed route that declares a schema (or is gone) fails too, so the list stays true.
"""

from __future__ import annotations

from typing import get_args

import pytest
from ninja import NinjaAPI, Router, Schema
from ninja.constants import NOT_SET
from pydantic import BaseModel

from spark_site.api import api

# Routes that answer a file or a stream, not JSON: an HttpResponse has no schema to declare.
FILE_DOWNLOADS = {
    ("GET", "/api/history/orders.csv"),
    ("GET", "/api/history/fills.csv"),
    ("GET", "/api/history/pnl.csv"),
    ("GET", "/api/history/funding.csv"),
    ("GET", "/api/history/audit.csv"),
    ("GET", "/canary/runs/{run_id}/evidence"),  # the evidence document as a JSON download
}


def _undeclared(ninja_api: NinjaAPI) -> set[tuple[str, str]]:
    """(method, path) of every operation whose 200 answer has no declared schema."""
    found = set()
    for bound in ninja_api._get_bound_routers():
        for path, view in bound.path_operations.items():
            full = "/" + "/".join(p.strip("/") for p in (bound.prefix, path) if p.strip("/"))
            for operation in view.operations:
                if any(model is NOT_SET for model in operation.response_models.values()):
                    found.update((method, full) for method in operation.methods)
    return found


def test_every_route_declares_its_answer():
    missing = _undeclared(api) - FILE_DOWNLOADS
    assert not missing, f"routes without a response schema: {sorted(missing)}"


def test_the_exception_lists_name_only_routes_without_a_schema():
    undeclared = _undeclared(api)
    stale = FILE_DOWNLOADS - undeclared
    assert not stale, f"listed as exceptions but declared or gone: {sorted(stale)}"


def _models(annotation, found: set[type]) -> None:
    """Every pydantic model an annotation reaches (fields, lists, unions, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, found)
        return
    for arg in get_args(annotation):
        _models(arg, found)


def _name_clashes(ninja_api: NinjaAPI) -> dict[str, set[str]]:
    """Answer schemas sharing a class name: the OpenAPI document keeps one under that name,
    so the other route's answer would be documented as the wrong shape."""
    by_name: dict[str, set[str]] = {}
    for model in _answer_models(ninja_api):
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    return {name: where for name, where in by_name.items() if len(where) > 1}


def test_answer_schemas_have_distinct_names():
    assert _name_clashes(api) == {}


def test_the_name_check_finds_a_clash():
    first = type("Clash", (Schema,), {"__annotations__": {"a": int}, "__module__": "one"})
    second = type("Clash", (Schema,), {"__annotations__": {"b": int}, "__module__": "two"})
    router = Router()
    router.get("/a", response=first)(lambda request: {"a": 1})
    router.get("/b", response=second)(lambda request: {"b": 1})
    probe = NinjaAPI(urls_namespace="probe-clash")
    probe.add_router("/probe/", router)
    assert set(_name_clashes(probe)) == {"Clash"}


class _Out(Schema):
    ok: bool


@pytest.mark.parametrize("declared", [False, True])
def test_the_walk_finds_an_undeclared_route(declared):
    """The check can fail: a route without `response=` is found, one with it is not."""
    router = Router()
    if declared:

        @router.get("/thing", response=_Out)
        def thing(request):
            return {"ok": True}

    else:

        @router.get("/thing")
        def thing(request):
            return {"ok": True}

    probe = NinjaAPI(urls_namespace=f"probe-{declared}")
    probe.add_router("/probe/", router)
    assert _undeclared(probe) == (set() if declared else {("GET", "/probe/thing")})


def _answer_models(ninja_api: NinjaAPI) -> set[type]:
    found: set[type] = set()
    for bound in ninja_api._get_bound_routers():
        for view in bound.path_operations.values():
            for operation in view.operations:
                for model in operation.response_models.values():
                    if model not in (None, NOT_SET):
                        _models(model.model_fields["response"].annotation, found)
    return found


def _ninja_getters(models: set[type]) -> list[str]:
    """Answer models built on ninja's Schema: every object of theirs goes through ninja's Python
    getter (made for ORM objects) before pydantic sees it; answers are dicts, checked by pydantic
    alone through spark_site.answers.Answer."""
    return sorted(f"{m.__module__}.{m.__qualname__}" for m in models if issubclass(m, Schema))


def test_every_answer_schema_is_an_answer_not_a_ninja_schema():
    assert _ninja_getters(_answer_models(api)) == []


def test_a_ninja_schema_answer_would_be_found():
    assert _ninja_getters({_Out}) == [f"{__name__}._Out"]
