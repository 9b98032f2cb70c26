"""POST /futures/order.preview: the order form's live preview; nothing stored or sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.models import Order
from futures.preview import liquidation_estimate

pytestmark = pytest.mark.django_db


def _preview(api, token, **body):
    order = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    order.update(body)
    return api.post("/futures/order.preview", order, token=token)


def test_it_previews_notional_margin_liquidation_and_fee_without_sending(
    api, alice, token_for, exchange
):
    sent = exchange.control.state()["counters"].get("orders", 0)
    api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 10}, token=token_for(alice))
    r = _preview(api, token_for(alice), quantity="0.0085")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["quantity"] == "0.008"
    assert body["rounded"] == [{"field": "quantity", "requested": "0.0085", "sent": "0.008"}]
    assert Decimal(body["notional"]) == Decimal("27.20")  # 0.008 x 3400
    assert body["leverage"] == 10
    assert Decimal(body["initialMargin"]) == Decimal("2.72")
    liq = Decimal(body["estLiquidationPrice"])
    assert Decimal("3000") < liq < Decimal("3400")  # a long at 10x dies about 10 % lower
    assert Decimal(body["estFee"]) == Decimal("0.0136")
    assert body["risk"]["allowed"] is True
    assert not Order.objects.exists()
    assert exchange.control.state()["counters"].get("orders", 0) == sent


def test_it_names_the_risk_rule_an_order_would_hit(api, alice, token_for, exchange):
    r = _preview(api, token_for(alice), quantity="0.05")  # 170 USD > max notional 100
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["risk"]["allowed"] is False
    assert [rule["rule"] for rule in body["risk"]["rules"]] == ["max_notional"]


def test_it_reports_an_exchange_filter_it_would_break(api, alice, token_for, exchange):
    r = _preview(api, token_for(alice), quantity="0.001")  # 3.4 USD < min notional 20
    assert r.status_code == 200, r.content
    assert r.json()["filter"]["code"] == "FILTER_REJECTED"


def test_the_liquidation_estimate_matches_binances_formula_for_a_short():
    bracket = {"maintMarginRatio": Decimal("0.005"), "cum": Decimal("0")}
    # short 1 @ 100 with 10 margin: (10 + 0 + 100) / (0.005 + 1) = 109.45...
    assert liquidation_estimate(
        side="SELL",
        quantity=Decimal("1"),
        price=Decimal("100"),
        margin=Decimal("10"),
        bracket=bracket,
    ) == Decimal("109.45")


def test_a_viewer_cannot_preview(api, bob, token_for, exchange):
    assert _preview(api, token_for(bob)).status_code == 403


@pytest.mark.parametrize("quantity", ["-1", "0", "abc", None])
def test_strange_quantities_are_422(api, alice, token_for, exchange, quantity):
    assert _preview(api, token_for(alice), quantity=quantity).status_code == 422
