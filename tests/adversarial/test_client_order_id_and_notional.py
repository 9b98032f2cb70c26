"""Finding 9 of issue 20 (two parts): a reused clientOrderId never answers for another order,
and max notional values a limit order at the worse of its limit price and the mark."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Order
from risk.models import RiskLimits

pytestmark = pytest.mark.django_db(transaction=True)


def _place(api, token, **fields):
    body = {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.01",
        "price": "3300",
        "timeInForce": "GTC",
        **fields,
    }
    return api.post("/futures/order.place", body, token=token)


def test_it_refuses_a_reused_client_order_id_with_other_parameters(
    api, sim_settings, alice, token_for
):
    token = token_for(alice)
    first = _place(api, token, clientOrderId="reuse-1", dryRun=False)
    assert first.status_code == 200, first.content
    again = _place(api, token, clientOrderId="reuse-1", dryRun=False)  # a true repeat
    assert again.status_code == 200 and again.json()["executed"] == "existing"

    other = _place(api, token, clientOrderId="reuse-1", dryRun=False, quantity="0.02", price="3200")

    assert other.status_code == 409, other.content
    error = other.json()["error"]
    assert error["code"] == "CLIENT_ORDER_ID_MISMATCH"
    fields = {f["field"]: f for f in error["details"]["fields"]}
    assert set(fields) == {"quantity", "price"}
    assert fields["quantity"] == {"field": "quantity", "existing": "0.01", "requested": "0.02"}
    assert Order.objects.filter(client_order_id="reuse-1").count() == 1
    assert AuditEntry.objects.filter(
        action="order.place", outcome=AuditEntry.Outcome.REJECTED
    ).exists()


def test_a_live_request_never_gets_a_dry_run_as_its_answer(api, sim_settings, alice, token_for):
    token = token_for(alice)
    dry = _place(api, token, clientOrderId="was-dry", dryRun=True)
    assert dry.status_code == 200 and dry.json()["executed"] == "simulated"

    live = _place(api, token, clientOrderId="was-dry", dryRun=False)

    assert live.status_code == 409, live.content
    error = live.json()["error"]
    assert error["code"] == "CLIENT_ORDER_ID_MISMATCH"
    assert error["details"]["fields"] == [{"field": "dryRun", "existing": True, "requested": False}]
    assert Order.objects.get(client_order_id="was-dry").dry_run is True


def test_max_notional_values_a_limit_order_at_the_worse_of_its_price_and_the_mark(
    api, sim_settings, alice, token_for
):
    """A SELL limit below the mark fills at about the mark: 0.03 x 3400 = 102 USD is over a
    100 USD max notional, although 0.03 x its 3300 limit price is 99."""
    limits = RiskLimits.load()
    limits.max_notional_usd = Decimal("100")
    limits.save()
    sim_settings.control.set_price("ETHUSDT", "3400", mark="3400")
    token = token_for(alice)

    sell = _place(api, token, side="SELL", quantity="0.03", price="3300", dryRun=True)

    assert sell.status_code == 422, sell.content
    assert sell.json()["error"]["code"] == "RISK_REJECTED", sell.content
    rules = sell.json()["error"]["details"]["rules"]
    assert [r["rule"] for r in rules] == ["max_notional"]
    assert Decimal(rules[0]["value"]) == Decimal("102")
    # A BUY limit above the mark is valued at its (higher) limit price: 0.03 x 3500 = 105.
    buy = _place(api, token, side="BUY", quantity="0.03", price="3500", dryRun=True)
    assert buy.status_code == 422, buy.content
    assert Decimal(buy.json()["error"]["details"]["rules"][0]["value"]) == Decimal("105")
    # A BUY limit below the mark rests and never pays above its limit: 0.03 x 3300 = 99 passes.
    rests = _place(api, token, side="BUY", quantity="0.03", price="3300", dryRun=True)
    assert rests.status_code == 200, rests.content
    # Under the limit at both prices, it passes.
    ok = _place(api, token, side="SELL", quantity="0.029", price="3300", dryRun=True)
    assert ok.status_code == 200, ok.content
