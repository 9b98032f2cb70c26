"""The base of the API's answer schemas: pydantic models filled from the dicts that the
shaping functions (each app's schemas.py) build.

ninja's Schema is made for ORM objects: before pydantic reads one, it wraps it (and every
nested object) in a Python getter that resolves attributes one by one, and it validates a model
with extra="forbid" twice. An answer here is a plain dict, so a plain pydantic model checks it in
one pass in pydantic's core: the same declared shape and OpenAPI document, less work on the
order path (bench/bench_order_baseline.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    """An answer schema: declared fields, checked by pydantic alone (no ninja getter)."""

    model_config = ConfigDict(from_attributes=True)
