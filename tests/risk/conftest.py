"""Helpers for the risk tests: an intent builder and a gate call in its own transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from risk import gate, providers
from risk.models import RiskLimits


def intent(**overrides) -> gate.OrderIntent:
    values = {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "quantity": Decimal("0.01"),
        "price": None,
        "mark_price": Decimal("2500"),
        "reduce_only": False,
        "position_amt": Decimal("0"),
        "open_same_side_qty": Decimal("0"),
        "dry_run": True,
    }
    values.update(overrides)
    return gate.OrderIntent(**values)


def decide(**overrides) -> gate.Decision:
    with transaction.atomic():
        return gate.evaluate(intent(**overrides))


def rule_names(decision: gate.Decision) -> list[str]:
    return [r["rule"] for r in decision.rules]


@pytest.fixture
def limits(db):
    return RiskLimits.load()


@pytest.fixture(autouse=True)
def _no_providers():
    """Each test starts without registered providers; the ones futures registered come back."""
    saved = (providers._position_provider, providers._filters_provider)  # noqa: SLF001
    providers.register_position_provider(None)
    providers.register_filters_provider(None)
    yield
    providers.register_position_provider(saved[0])
    providers.register_filters_provider(saved[1])
