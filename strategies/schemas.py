"""Request bodies of the strategies API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class BacktestIn(Schema):
    document: dict[str, Any] | None = None
    draft_id: int | None = None
    strategy_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(30, ge=1, le=400)
    config: dict[str, float | None] | None = None


class KlinesIn(Schema):
    symbol: str = Field(..., min_length=1, max_length=20)
    interval: str = "1h"
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(30, ge=1, le=400)


class StrategyIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    document: dict[str, Any] | None = None
    draft_id: int | None = None


class ProposalIn(Schema):
    strategy_id: int
    params: dict[str, int | float] | None = None  # dotted paths: {"fast.period": 12}
    document: dict[str, Any] | None = None
    reason: str = Field("", max_length=1000)
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(30, ge=1, le=400)


class DecisionIn(Schema):
    note: str = Field("", max_length=1000)


class OptimizationIn(Schema):
    document: dict[str, Any] | None = None
    strategy_id: int | None = None
    draft_id: int | None = None
    space: dict[str, list[int | float]]
    method: str = Field("grid", pattern="^(grid|random)$")
    samples: int = Field(30, ge=1, le=500)
    splits: int = Field(3, ge=1, le=10)
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(90, ge=1, le=400)
    config: dict[str, float | None] | None = None


class RunnerIn(Schema):
    strategy_id: int
