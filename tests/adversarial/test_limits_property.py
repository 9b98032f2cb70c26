"""Issue 20's property proof: no interleaving of orders, fills, cancels and PnL breaks a limit.

A hypothesis state machine drives a real Spark (Daphne, user stream on) trading on the stand-in
over real sockets. Its rules are random interleavings of: orders from two traders on two
symbols (BUY/SELL, MARKET/LIMIT, reduce-only or not, dry-run or live), bursts of orders sent
from parallel threads, cancels by the order's owner, market moves through the stand-in's
/_sim/price (resting limits fill, the stream brings the fills), reconciliation runs, and PnL
bookings by an operator. After every step, once Spark has caught up with the exchange:

- the exchange's own position of each symbol (its positionRisk), and that position plus every
  resting order that could grow it, stay within the symbol's max position; so does Spark's
  synced position;
- no order Spark accepted (live or dry-run, growing exposure) was worth more than max notional
  at the price it can fill at;
- once the day's loss budget is spent (or the breaker is open), Spark accepted nothing but
  reduce-only orders that shrink a position; orders Spark refused never reached the exchange.

Positions are capped in contracts (a symbol row), so a market move cannot push a position over
its cap by price alone. On PostgreSQL (`-m backends`) it runs more and longer examples; the
default SQLite run keeps a small budget. Mark prices are read fresh for every order
(SPARK_MARK_PRICE_MAX_AGE=0) so the notional bound below is the gate's own valuation.
"""

from __future__ import annotations

import itertools
import threading
from decimal import Decimal

import pytest
import requests
from django.db import connection
from hypothesis import HealthCheck, Phase
from hypothesis import settings as run_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.roles import TRADER
from futures.models import OPEN_STATUSES, Order, PositionSnapshot
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from tests.support.stand_in import exchange_position
from tests.support.waiting import poll

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

D = Decimal
MAX_NOTIONAL = D("100")
LOSS_LIMIT = D("40")
# Listed price, max position (contracts) and the quantities tried: the largest is just over
# max notional at the listed price, so the notional rule is exercised on every symbol.
MARKETS = {
    "ETHUSDT": {"base": D("3400"), "cap": D("0.04"), "qty": [D("0.01"), D("0.02"), D("0.03")]},
    "BNBUSDT": {"base": D("600"), "cap": D("0.2"), "qty": [D("0.05"), D("0.1"), D("0.17")]},
}
STEP = D("0.005")  # one price step: 0.5 % of the listed price
CENT = D("0.01")
TRADERS = ("alice", "tina")
_ids = itertools.count()

order_st = st.fixed_dictionaries(
    {
        "trader": st.sampled_from(TRADERS),
        "symbol": st.sampled_from(sorted(MARKETS)),
        "side": st.sampled_from(["BUY", "SELL"]),
        "type": st.sampled_from(["LIMIT", "MARKET", "LIMIT"]),
        "size": st.integers(0, 2),
        # A LIMIT's price in steps from the last price, away from the market (it rests) when
        # positive, through it (it fills at once) when negative.
        "away": st.integers(-1, 3),
        # Mostly live orders that add risk: those are what the limits are for.
        "reduceOnly": st.sampled_from([False, True, False]),
        "dryRun": st.sampled_from([False, True, False]),
    }
)


def _streams_up(server) -> bool:
    s = requests.get(server.url + "/futures/ws.status", timeout=5).json()
    conns = s.get("connections") or []
    return bool(conns) and all(c["state"] == "up" for c in conns)


def _limits() -> None:
    limits = RiskLimits.load()
    limits.max_notional_usd = MAX_NOTIONAL
    limits.daily_loss_limit_usd = LOSS_LIMIT
    limits.save()
    limits.symbol_limits.all().delete()
    for symbol, market in MARKETS.items():
        limits.symbol_limits.create(symbol=symbol, max_position_qty=market["cap"])


class Env:
    """What the machine acts on: the server, the stand-in and who may act."""

    def __init__(self, server, sim, tokens: dict[str, str], parallel: tuple[int, int]):
        self.server = server
        self.sim = sim
        self.tokens = tokens
        self.parallel = parallel

    def post(self, path: str, body: dict, who: str) -> requests.Response:
        return requests.post(
            self.server.url + path,
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=60,
        )

    def signed(self, path: str, **params) -> list[dict]:
        return self.sim.control.signed("GET", path, **params).json()


class LimitsMachine(RuleBasedStateMachine):
    env: Env  # set by the test before the run

    def __init__(self):
        super().__init__()
        self.price = {symbol: m["base"] for symbol, m in MARKETS.items()}
        self.live_accepted: set[str] = set()  # client ids Spark answered 200 for, live
        self.owner: dict[str, str] = {}
        self._reset()

    # ------------------------------------------------------------------ set-up and reads

    def _reset(self) -> None:
        """Every example starts flat: orders cancelled, exchange reset, Spark's rows gone."""
        env = self.env
        for symbol in MARKETS:
            r = env.post("/futures/order.cancelAll", {"symbol": symbol}, "olga")
            assert r.status_code == 200, r.text
        self._settle()
        env.sim.control.reset()
        for symbol, market in MARKETS.items():
            env.sim.control.set_price(symbol, str(market["base"]), mark=str(market["base"]))
        Order.objects.all().delete()
        PositionSnapshot.objects.all().delete()
        PnLEntry.objects.all().delete()
        CircuitBreaker.objects.all().delete()
        _limits()

    def _settled(self) -> bool:
        """Spark's orders and positions agree with the exchange's (the stream has caught up)."""
        ours = {o.client_order_id: o for o in Order.objects.filter(dry_run=False)}
        if any(o.status in OPEN_STATUSES for o in ours.values()):
            open_ids = {
                x["clientOrderId"]
                for symbol in MARKETS
                for x in self.env.signed("/fapi/v1/openOrders", symbol=symbol)
            }
            if any(o.status in OPEN_STATUSES and cid not in open_ids for cid, o in ours.items()):
                return False
        for symbol in MARKETS:
            for x in self.env.signed("/fapi/v1/allOrders", symbol=symbol):
                o = ours.get(x["clientOrderId"])
                if o is None or o.status != x["status"] or o.filled_qty != D(x["executedQty"]):
                    return False
            row = PositionSnapshot.objects.filter(symbol=symbol).first()
            synced = row.position_amt if row is not None else D(0)
            if synced != exchange_position(self.env.sim, symbol):
                return False
        return True

    def _settle(self) -> None:
        poll(self._settled, seconds=30, step=0.1, what="Spark in line with the exchange")

    def _budget(self) -> tuple[Decimal, bool]:
        """Today's remaining loss budget and whether the breaker is open (Spark's status)."""
        r = requests.get(
            self.env.server.url + "/futures/risk/status",
            headers={"Authorization": f"Bearer {self.env.tokens['olga']}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        s = r.json()
        return D(s["today"]["remainingLossBudget"]), s["circuitBreaker"]["state"] == "OPEN"

    # ------------------------------------------------------------------ orders

    def _body(self, o: dict) -> dict:
        symbol = o["symbol"]
        cid = f"prop-{next(_ids)}"
        body = {
            "symbol": symbol,
            "side": o["side"],
            "type": o["type"],
            "quantity": str(MARKETS[symbol]["qty"][o["size"]]),
            "reduceOnly": o["reduceOnly"],
            "dryRun": o["dryRun"],
            "clientOrderId": cid,
        }
        if o["type"] == "LIMIT":
            base = MARKETS[symbol]["base"]
            sign = 1 if o["side"] == "BUY" else -1
            price = self.price[symbol] - sign * base * STEP * o["away"]
            body["price"] = str(price.quantize(CENT))
            body["timeInForce"] = "GTC"
        return body

    def _worth(self, body: dict, mark: Decimal) -> Decimal:
        """The most the order can fill for: a BUY at its limit (or the mark), a SELL at the
        better of its limit and the mark (a SELL limit below the mark fills at about the mark)."""
        qty = D(body["quantity"])
        if body["type"] == "MARKET":
            return qty * mark
        price = D(body["price"])
        return qty * (price if body["side"] == "BUY" else max(price, mark))

    def _shrinks(self, body: dict, position: Decimal) -> bool:
        sign = 1 if body["side"] == "BUY" else -1
        return body["reduceOnly"] and position * sign < 0 and D(body["quantity"]) <= abs(position)

    def _check_answer(self, body: dict, answer: requests.Response, before: dict) -> None:
        """One answer against the limits as they stood when it was sent (`before`)."""
        assert answer.status_code < 500, answer.text
        if answer.status_code != 200:
            return  # refused (risk, filters or the exchange): the invariants check nothing went out
        symbol = body["symbol"]
        assert answer.json()["created"] is True, answer.text
        if not body["dryRun"]:
            self.live_accepted.add(body["clientOrderId"])
            self.owner[body["clientOrderId"]] = before["who"]
        if body["reduceOnly"] and before["position"] is None:
            # In a burst the position moves under the order (the others fill): whether it shrank
            # is the gate's call at its turn; the exchange never lets it grow a position.
            return
        if body["reduceOnly"] and self._shrinks(body, before["position"][symbol]):
            return  # a position-shrinking reduce-only order is exempt from every limit
        worth = self._worth(body, self.price[symbol])
        assert worth <= MAX_NOTIONAL, f"accepted {body} worth {worth} USD > {MAX_NOTIONAL}"
        if body["reduceOnly"]:
            return  # the exchange never lets it grow a position; budget rules below are for risk
        assert before["budget"] > 0, f"accepted {body} with the loss budget at {before['budget']}"
        assert not before["breaker_open"], f"accepted {body} with the breaker open"

    def _before(self, who: str) -> dict:
        budget, breaker_open = self._budget()
        return {
            "who": who,
            "budget": budget,
            "breaker_open": breaker_open,
            "position": {s: exchange_position(self.env.sim, s) for s in MARKETS},
        }

    @rule(order=order_st)
    def place(self, order):
        body = self._body(order)
        before = self._before(order["trader"])
        answer = self.env.post("/futures/order.place", body, order["trader"])
        self._check_answer(body, answer, before)

    @rule(orders=st.lists(order_st, min_size=2, max_size=8))
    def burst(self, orders):
        """Orders sent at once from parallel threads (as many as this backend's budget)."""
        low, high = self.env.parallel
        orders = orders[: max(low, min(high, len(orders)))]
        bodies = [self._body(o) for o in orders]
        before = self._before("")
        answers: list = [None] * len(bodies)
        start = threading.Barrier(len(bodies))

        def send(i: int) -> None:
            start.wait(timeout=30)
            answers[i] = self.env.post("/futures/order.place", bodies[i], orders[i]["trader"])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        for order, body, answer in zip(orders, bodies, answers, strict=True):
            assert answer is not None, f"no answer to {body}"
            self._check_answer(body, answer, {**before, "who": order["trader"], "position": None})

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick):
        """Cancel one open live order, as the trader who placed it."""
        rows = [
            x
            for symbol in MARKETS
            for x in self.env.signed("/fapi/v1/openOrders", symbol=symbol)
            if x["clientOrderId"] in self.owner
        ]
        if not rows:
            return
        x = rows[pick % len(rows)]
        cid = x["clientOrderId"]
        r = self.env.post(
            "/futures/order.cancel", {"symbol": x["symbol"], "clientOrderId": cid}, self.owner[cid]
        )
        # A fill may have raced the cancel: the exchange then answers "unknown order".
        assert r.status_code < 500, r.text

    @rule(
        symbol=st.sampled_from(sorted(MARKETS)),
        steps=st.integers(-3, 3),
        reconcile=st.booleans(),
    )
    def move_market(self, symbol, steps, reconcile):
        """Move last and mark through the stand-in; resting limits it crosses fill. The stream
        brings the fills, or reconciliation's REST pass, run at once, races it to them."""
        base = MARKETS[symbol]["base"]
        price = self.price[symbol] + base * STEP * steps
        price = min(max(price, base * D("0.9")), base * D("1.1")).quantize(CENT)
        self.env.sim.control.set_price(symbol, str(price), mark=str(price))
        self.price[symbol] = price
        if reconcile:
            from futures.reconcile import reconcile_orders

            report = reconcile_orders(actor="system")
            assert not report["errors"], report

    @rule(amount=st.sampled_from([D("-25"), D("-12.5"), D("-45"), D("7.5")]))
    def record_pnl(self, amount):
        r = self.env.post(
            "/futures/risk/record-pnl",
            {"symbol": "ETHUSDT", "amount": str(amount), "reference": f"prop-{next(_ids)}"},
            "olga",
        )
        assert r.status_code == 200, r.text

    # ------------------------------------------------------------------ invariants

    @invariant()
    def limits_hold(self):
        self._settle()
        for symbol, market in MARKETS.items():
            cap = market["cap"]
            position = exchange_position(self.env.sim, symbol)
            assert abs(position) <= cap, f"{symbol}: the exchange holds {position} > {cap}"
            synced = PositionSnapshot.objects.filter(symbol=symbol).first()
            if synced is not None:
                assert abs(synced.position_amt) <= cap, f"{symbol}: Spark shows {synced}"
            # Even if every resting order that can grow the position filled, it stays in cap.
            rows = self.env.signed("/fapi/v1/openOrders", symbol=symbol)
            grow = {"BUY": D(0), "SELL": D(0)}
            for x in rows:
                if not x["reduceOnly"]:
                    grow[x["side"]] += D(x["origQty"]) - D(x["executedQty"])
            assert position + grow["BUY"] <= cap, f"{symbol}: {position} + buys {grow} > {cap}"
            assert position - grow["SELL"] >= -cap, f"{symbol}: {position} - sells {grow} < -{cap}"
            # Refused orders never reached the exchange.
            on_exchange = {
                x["clientOrderId"] for x in self.env.signed("/fapi/v1/allOrders", symbol=symbol)
            }
            assert on_exchange <= self.live_accepted, on_exchange - self.live_accepted


@pytest.fixture(scope="module")
def own_sim():
    """A stand-in of this test's own: its rule checks read the exchange after every step, more
    often than the shared stand-in's request weight limit allows (that would ban the suite's IP)."""
    from simexchange.testing import SimProcess

    process = SimProcess(
        env={
            "SIM_API_KEYS": "prop-key:prop-secret-00000000000000000000",
            "SIM_WEIGHT_LIMIT": "100000000",
            "SIM_FEED_RUNNING": "false",
            "SIM_SEED": "20",
        }
    ).start()
    yield process
    process.stop()


@pytest.fixture
def env(daphne, own_sim, settings, alice, olga, make_user, token_for):
    sim_env = {
        "BINANCE_FUTURES_BASE_URL": own_sim.base_url,
        "BINANCE_FUTURES_WS_URL": own_sim.ws_url,
        "BINANCE_API_KEY": own_sim.api_key,
        "BINANCE_API_SECRET": own_sim.api_secret,
    }
    for name, value in sim_env.items():  # reconciliation runs in this process
        setattr(settings, name, value)
    settings.BINANCE_FUTURES_RESOLVED_ENV = "sim"
    from futures.binance.http import BinanceHttp

    BinanceHttp.clear_backoff()
    own_sim.control.reset()
    server = daphne(
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS=",".join(sorted(MARKETS)),
        SPARK_MARK_PRICE_MAX_AGE="0",
        **sim_env,
    )
    poll(lambda: _streams_up(server))
    tina = make_user("tina", TRADER)
    tokens = {"alice": token_for(alice), "tina": token_for(tina), "olga": token_for(olga)}
    on_pg = connection.vendor == "postgresql"
    yield Env(server, own_sim, tokens, parallel=(4, 8) if on_pg else (2, 4))
    BinanceHttp.clear_backoff()


def test_random_interleavings_never_leave_a_limit_exceeded(env):
    on_pg = connection.vendor == "postgresql"
    LimitsMachine.env = env
    run_state_machine_as_test(
        LimitsMachine,
        settings=run_settings(
            max_examples=5,
            stateful_step_count=30 if on_pg else 20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            # No shrinking: every step talks to a live server and exchange, and a shrink run
            # would replay hundreds of them; the failing sequence is printed as found.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
