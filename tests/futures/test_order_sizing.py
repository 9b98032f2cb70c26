"""An order's size in contracts, USDT notional or % of the available balance (futures/sizing.py),
leverage and margin type from the order form, and a preview that follows the order's side."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Order

pytestmark = pytest.mark.django_db


def _body(**extra) -> dict:
    body = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET"}
    body.update(extra)
    return body


def _leverage(exchange) -> int:
    (row,) = exchange.control.signed("GET", "/fapi/v2/positionRisk", symbol="ETHUSDT").json()
    return int(row["leverage"])


def _available(exchange) -> Decimal:
    return Decimal(exchange.control.signed("GET", "/fapi/v3/account").json()["availableBalance"])


# -- adversarial first ------------------------------------------------------------------------


def test_a_viewer_cannot_change_leverage_or_margin_type(api, bob, token_for, exchange):
    before = _leverage(exchange)
    r = api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 7}, token=token_for(bob))
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"
    r = api.post(
        "/futures/marginType",
        {"symbol": "ETHUSDT", "marginType": "ISOLATED"},
        token=token_for(bob),
    )
    assert r.status_code == 403
    assert _leverage(exchange) == before
    assert AuditEntry.objects.filter(
        action="leverage.change", outcome=AuditEntry.Outcome.DENIED
    ).exists()


@pytest.mark.parametrize("percent", ["100.01", "101", "-1", "0", "abc", "1,5", "0.001", True])
@pytest.mark.parametrize("path", ["/futures/order.place", "/futures/order.preview"])
def test_a_balance_percent_outside_0_to_100_is_422_naming_the_field(
    api, alice, token_for, exchange, percent, path
):
    r = api.post(path, _body(balancePercent=percent), token=token_for(alice))
    assert r.status_code == 422, r.content
    fields = [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert "balancePercent" in fields
    assert not Order.objects.exists()


@pytest.mark.parametrize("notional", ["-5", "0", "1e3", "", None])
def test_a_strange_usdt_notional_is_422_naming_the_field(api, alice, token_for, exchange, notional):
    r = api.post("/futures/order.place", _body(quoteQuantity=notional), token=token_for(alice))
    assert r.status_code == 422, r.content
    fields = [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert {"quoteQuantity"} & set(fields) or set(fields) == {
        "quantity",
        "quoteQuantity",
        "balancePercent",
    }
    assert not Order.objects.exists()


def test_two_ways_of_giving_the_size_are_refused_naming_both(api, alice, token_for, exchange):
    r = api.post(
        "/futures/order.place",
        _body(quantity="0.01", quoteQuantity="50"),
        token=token_for(alice),
    )
    assert r.status_code == 422
    fields = [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert fields == ["quantity", "quoteQuantity"]
    r = api.post("/futures/order.place", _body(), token=token_for(alice))
    assert r.status_code == 422
    fields = [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert fields == ["quantity", "quoteQuantity", "balancePercent"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "notional, becomes, smallest",
    [
        ("10", "0.002", "20.4"),  # 10 / 3400 = 0.0029 -> 0.002 = 6.80 USDT
        ("20", "0.005", "20.4"),  # at the minimum, but rounding down to the step falls below it
        ("0.5", "0", "20.4"),  # rounds to nothing
    ],
)
def test_a_usdt_notional_below_the_minimum_says_so_and_the_smallest_that_passes(
    api, alice, token_for, exchange, notional, becomes, smallest
):
    r = api.post(
        "/futures/order.place", _body(quoteQuantity=notional), token=token_for(alice), lang="en"
    )
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "FILTER_REJECTED"
    assert error["details"]["filter"] == "MIN_NOTIONAL"
    assert error["details"]["fields"][0]["field"] == "quoteQuantity"
    assert error["details"]["smallest"] == smallest
    assert error["details"]["sized"]["quantity"] == becomes
    assert "below the minimum notional 20 USDT" in error["message"]
    assert f"give at least {smallest} USDT" in error["message"]
    assert not Order.objects.exists()
    assert AuditEntry.objects.filter(
        action="order.place", outcome=AuditEntry.Outcome.REJECTED
    ).exists()
    # the smallest it names does pass
    r = api.post("/futures/order.place", _body(quoteQuantity=smallest), token=token_for(alice))
    assert r.status_code == 200, r.content
    assert r.json()["order"]["quantity"] == "0.006"


def test_a_turkish_request_gets_the_reason_in_turkish(api, alice, token_for, exchange):
    r = api.post(
        "/futures/order.place", _body(quoteQuantity="10"), token=token_for(alice), lang="tr"
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "FILTER_REJECTED"
    assert "minimum" not in r.json()["error"]["message"]  # the code's Turkish sentence


# -- the sizes it makes -----------------------------------------------------------------------


def test_a_usdt_notional_becomes_a_quantity_rounded_down_to_the_step(
    api, alice, token_for, exchange
):
    r = api.post("/futures/order.place", _body(quoteQuantity="50"), token=token_for(alice))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["order"]["quantity"] == "0.014"  # 50 / 3400 = 0.01470... rounded down
    assert body["sized"] == {
        "from": "quoteQuantity",
        "requested": "50",
        "price": "3400",
        "notional": "50",
        "quantity": "0.014",
        "step": "0.001",
        "rounding": "down to the step 0.001",
    }
    assert Order.objects.get().quantity == Decimal("0.014")


def test_a_limit_order_is_sized_at_its_own_price(api, alice, token_for, exchange):
    r = api.post(
        "/futures/order.preview",
        _body(type="LIMIT", price="3000", timeInForce="GTC", quoteQuantity="60"),
        token=token_for(alice),
    )
    assert r.status_code == 200, r.content
    assert r.json()["quantity"] == "0.02" and r.json()["sized"]["price"] == "3000"


def test_a_balance_percent_is_margin_times_leverage(api, alice, token_for, exchange):
    api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 10}, token=token_for(alice))
    available = _available(exchange)
    r = api.post("/futures/order.place", _body(balancePercent="0.1"), token=token_for(alice))
    assert r.status_code == 200, r.content
    expected = (available * Decimal("0.001") * 10 / Decimal("3400")).quantize(
        Decimal("0.001"), rounding=ROUND_FLOOR
    )
    assert Decimal(r.json()["order"]["quantity"]) == expected > 0
    sized = r.json()["sized"]
    assert sized["from"] == "balancePercent" and sized["leverage"] == 10
    assert Decimal(sized["availableBalance"]) == available


def test_a_retry_of_a_sized_order_returns_the_first_even_after_a_price_move(
    api, alice, token_for, exchange
):
    body = _body(quoteQuantity="50", clientOrderId="sized-retry-1")
    first = api.post("/futures/order.place", body, token=token_for(alice))
    assert first.status_code == 200, first.content
    exchange.control.set_price("ETHUSDT", "2500", mark="2500")  # 50 USDT would be 0.02 now
    again = api.post("/futures/order.place", body, token=token_for(alice))
    assert again.status_code == 200, again.content
    assert again.json()["order"]["clientOrderId"] == "sized-retry-1"
    assert again.json()["order"]["quantity"] == "0.014"
    assert Order.objects.count() == 1


# -- the preview follows the side ---------------------------------------------------------------


def test_the_preview_of_a_short_puts_liquidation_above_entry_by_binances_formula(
    api, alice, token_for, exchange
):
    """By hand, ETHUSDT's first bracket (maintMarginRatio 0.005, cum 0), 0.01 at 3400, 10x:
    margin 3.4; long  LP = (3.4 + 0 - 34) / (0.01 x 0.005 - 0.01) = 3075.38;
                 short LP = (3.4 + 0 + 34) / (0.01 x 0.005 + 0.01) = 3721.39."""
    api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 10}, token=token_for(alice))
    answers = {
        side: api.post(
            "/futures/order.preview", _body(side=side, quantity="0.01"), token=token_for(alice)
        ).json()
        for side in ("BUY", "SELL")
    }
    assert answers["BUY"]["estLiquidationPrice"] == "3075.38"
    assert answers["SELL"]["estLiquidationPrice"] == "3721.39"
    assert answers["SELL"]["maintMarginRatio"] == "0.005"
    assert answers["SELL"]["side"] == "SELL" and answers["SELL"]["initialMargin"] == "3.4"


def _hold(amount: str, entry: str, *, margin_type: str = "cross", isolated: str = "0"):
    """A held position as the stream or a REST read stores it (the preview reads this row)."""
    from futures.models import PositionSnapshot
    from spark_site.exchange_env import current_environment

    PositionSnapshot.objects.update_or_create(
        environment=current_environment(),
        symbol="ETHUSDT",
        defaults={
            "position_amt": Decimal(amount),
            "entry_price": Decimal(entry),
            "leverage": 10,
            "margin_type": margin_type,
            "isolated_margin": Decimal(isolated),
        },
    )


@pytest.mark.parametrize(
    "side, quantity, after, liquidation, margin",
    [
        # adds: 0.03 @ (60 + 34) / 0.03, margin 6 + 3.4 = 9.4;
        # LP = (9.4 - 94) / (0.03 x 0.005 - 0.03) = 2834.17
        ("BUY", "0.01", "0.03", "2834.17", "3.4"),
        # shrinks: 0.01 @ 3000, margin 6 x 0.5 = 3; LP = (3 - 30) / (0.00005 - 0.01) = 2713.57
        ("SELL", "0.01", "0.01", "2713.57", "0"),
        # closes: flat, no liquidation
        ("SELL", "0.02", "0", None, "0"),
        # flips: short 0.03 @ 3400, margin 10.2; LP = (10.2 + 102) / (0.00015 + 0.03) = 3721.39
        ("SELL", "0.05", "-0.03", "3721.39", "10.2"),
    ],
)
def test_the_preview_starts_from_the_held_position_on_the_orders_side(
    api, alice, token_for, exchange, side, quantity, after, liquidation, margin
):
    """By hand: a long 0.02 @ 3000 held at 10x cross (margin 0.02 x 3000 / 10 = 6), the mark at
    3400, ETHUSDT's first bracket (maintMarginRatio 0.005, cum 0)."""
    api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 10}, token=token_for(alice))
    _hold("0.02", "3000")
    r = api.post(
        "/futures/order.preview", _body(side=side, quantity=quantity), token=token_for(alice)
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["position"] == {"before": "0.02", "after": after}
    assert body["estLiquidationPrice"] == liquidation
    assert Decimal(body["initialMargin"]) == Decimal(margin)


def test_an_isolated_short_uses_its_own_margin(api, alice, token_for, exchange):
    """Short 0.02 @ 3500 isolated with 10 margin, adding 0.01 short at 3400 (margin 3.4):
    0.03 @ (70 + 34) / 0.03, margin 13.4; LP = (13.4 + 104) / (0.00015 + 0.03) = 3893.86."""
    api.post("/futures/leverage", {"symbol": "ETHUSDT", "leverage": 10}, token=token_for(alice))
    _hold("-0.02", "3500", margin_type="isolated", isolated="10")
    r = api.post(
        "/futures/order.preview", _body(side="SELL", quantity="0.01"), token=token_for(alice)
    )
    assert r.status_code == 200, r.content
    assert r.json()["estLiquidationPrice"] == "3893.86"
    assert r.json()["position"] == {"before": "-0.02", "after": "-0.03"}


def test_a_size_below_the_minimum_is_counted_as_that_filters_rejection(
    api, alice, token_for, exchange
):
    from prometheus_client import REGISTRY

    def count() -> float:
        value = REGISTRY.get_sample_value(
            "spark_futures_order_reject_total", {"reason": "filter_min_notional"}
        )
        return value or 0.0

    before = count()
    r = api.post("/futures/order.place", _body(quoteQuantity="10"), token=token_for(alice))
    assert r.status_code == 422
    assert count() == before + 1
