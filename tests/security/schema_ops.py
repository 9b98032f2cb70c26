"""The API's operations, read from the served OpenAPI schema so new endpoints are covered."""

from __future__ import annotations

import re

MUTATING = ("post", "put", "patch", "delete")


def operations() -> list[tuple[str, str]]:
    """(METHOD, concrete path) of every operation; path parameters filled with 1."""
    from spark_site.api import api

    out = []
    for path, item in api.get_openapi_schema()["paths"].items():
        for method in item:
            if method in ("get", *MUTATING):
                out.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(out)


def mutating_operations() -> list[tuple[str, str]]:
    return [(m, p) for m, p in operations() if m.lower() in MUTATING]


def operations_with_body() -> list[tuple[str, str]]:
    """Mutating operations whose schema declares a request body."""
    from spark_site.api import api

    out = []
    for path, item in api.get_openapi_schema()["paths"].items():
        for method, op in item.items():
            if method in MUTATING and "requestBody" in op:
                out.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(out)
