"""Hedge mode under load (issue 22): the per-side and net limits hold for parallel live orders.

Real Daphne with the user stream on, the stand-in in hedge mode over real sockets, two traders
sending live MARKET orders from threads. What must stay under the cap is the stand-in's own
position of each side (its positionRisk), not only Spark's rows; the sides are positions of
their own, so together they may hold more than the cap while the net stays under it.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import requests

from accounts.roles import TRADER
from futures.position_mode import position_mode_forget
from risk.models import RiskLimits
from tests.support.waiting import poll

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

SYMBOL = "ETHUSDT"
MARK = Decimal("3400")
ORDER_QTY = Decimal("0.02")  # 68 USD: under the 100 USD max notional, 7 of them fit in 500
CAP_USD = Decimal("500")
PARALLEL = 24


def _streams_up(server) -> bool:
    s = requests.get(server.url + "/futures/ws.status", timeout=5).json()
    conns = s.get("connections") or []
    return bool(conns) and all(c["state"] == "up" for c in conns)


def _sides(sim) -> dict[str, Decimal]:
    rows = sim.control.signed("GET", "/fapi/v2/positionRisk", symbol=SYMBOL).json()
    return {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows}


def _burst(server, tokens: list[str], bodies: list[dict]) -> list[requests.Response]:
    """Send every body at once (one thread each, released together); return the answers."""
    start = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def send(i: int) -> None:
        start.wait(timeout=30)
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
        answers[i] = requests.post(
            server.url + "/futures/order.place", json=bodies[i], headers=headers, timeout=60
        )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(a is not None for a in answers)
    return answers


@pytest.fixture
def hedge_live(daphne, sim, alice, make_user, token_for):
    """A hedge-mode stand-in, a Spark with streams on, two traders' tokens, a 500 USD cap."""
    sim.control.set_price(SYMBOL, str(MARK), mark=str(MARK))
    assert sim.control.position_mode(True) == {"code": 200, "msg": "success"}
    position_mode_forget()
    limits = RiskLimits.load()
    limits.symbol_limits.all().delete()  # the USD default applies to every symbol
    limits.default_max_position_usd = CAP_USD
    limits.max_notional_usd = Decimal("100")
    limits.save()
    server = daphne(SPARK_STREAMS_EMBEDDED="true", SPARK_STREAM_SYMBOLS=SYMBOL, **sim.spark_env())
    poll(lambda: _streams_up(server))
    tina = make_user("tina", TRADER)
    yield server, [token_for(alice), token_for(tina)]
    position_mode_forget()


def _market(i: int, side: str, position_side: str) -> dict:
    return {
        "symbol": SYMBOL,
        "side": side,
        "type": "MARKET",
        "quantity": str(ORDER_QTY),
        "positionSide": position_side,
        "dryRun": False,
        "clientOrderId": f"hedge-burst-{i}",
    }


def _refusals_are_max_position(answers) -> list:
    accepted = [a for a in answers if a.status_code == 200]
    for a in answers:
        if a.status_code == 200:
            assert a.json()["order"]["positionSide"] in ("LONG", "SHORT")
            continue
        error = a.json()["error"]
        assert error["code"] == "RISK_REJECTED", a.text
        assert "max_position" in [r["rule"] for r in error["details"]["rules"]], a.text
    return accepted


def test_parallel_buy_long_orders_of_two_users_never_pass_the_long_sides_cap(hedge_live, sim):
    server, tokens = hedge_live
    answers = _burst(server, tokens, [_market(i, "BUY", "LONG") for i in range(PARALLEL)])

    accepted = _refusals_are_max_position(answers)
    sides = _sides(sim)
    assert sides["LONG"] * MARK <= CAP_USD, f"{sides['LONG']} ETH LONG is over {CAP_USD} USD"
    assert sides["LONG"] == ORDER_QTY * len(accepted)
    assert 1 <= len(accepted) <= 7
    assert sides["SHORT"] == 0


def test_both_sides_fill_up_to_the_cap_each_and_the_net_stays_under_it(hedge_live, sim):
    server, tokens = hedge_live
    bodies = [
        _market(i, "BUY", "LONG") if i % 2 else _market(i, "SELL", "SHORT") for i in range(PARALLEL)
    ]
    answers = _burst(server, tokens, bodies)

    accepted = _refusals_are_max_position(answers)
    sides = _sides(sim)
    long, short = sides["LONG"], sides["SHORT"]
    assert long * MARK <= CAP_USD and abs(short) * MARK <= CAP_USD, sides
    assert abs(long + short) * MARK <= CAP_USD, sides  # net
    assert long - short == ORDER_QTY * len(accepted)
    # each side is its own position: together they may hold more than one side's cap
    assert long > 0 and short < 0
    # one by one now, each side fills until the next order would pass its cap, never beyond
    sent = iter(range(100, 160))

    def filled(position_side: str) -> bool:
        i = next(sent)
        side = "BUY" if position_side == "LONG" else "SELL"
        answer = requests.post(
            server.url + "/futures/order.place",
            json=_market(i, side, position_side),
            headers={"Authorization": f"Bearer {tokens[i % 2]}"},
            timeout=30,
        )
        assert answer.status_code in (200, 422), answer.text
        now = _sides(sim)
        assert abs(now[position_side]) * MARK <= CAP_USD, now
        assert abs(now["LONG"] + now["SHORT"]) * MARK <= CAP_USD, now
        return (abs(now[position_side]) + ORDER_QTY) * MARK > CAP_USD

    poll(lambda: filled("LONG"), seconds=20, step=0.3, what="the LONG side filled to its cap")
    poll(lambda: filled("SHORT"), seconds=20, step=0.3, what="the SHORT side filled to its cap")
    final = _sides(sim)
    assert (final["LONG"] - final["SHORT"]) * MARK > CAP_USD  # gross over the cap, net within
