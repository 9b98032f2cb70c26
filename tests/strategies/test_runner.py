"""Deployment: canary first, then paper orders through the order service and the risk gate."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from audit.models import AuditEntry
from futures.models import Order
from futures.position_mode import position_mode_forget
from strategies import runner, services
from strategies.models import StrategyRunner
from tests.strategies.conftest import grant
from tests.support.stand_in import switch_mode

HOUR = 3_600_000


def always_long(qty=0.008, **extra):
    """Enters on any bar, exits when close < 0 (never) unless bars are forged."""
    return {
        "name": "always long",
        "symbol": "ETHUSDT",
        "timeframe": "1m",
        "indicators": [],
        "entry": [{"left": "close", "op": ">", "right": 0}],
        "exit": [{"left": "close", "op": "<", "right": 1}],
        "position_size": {"type": "fixed_qty", "value": qty},
        **extra,
    }


@pytest.fixture
def operator(olga):
    return grant(olga, "strategies.propose_change", "strategies.run_strategy")


@pytest.fixture
def checker(make_user):
    """carol approves what others create (four-eyes)."""
    return grant(make_user("carol"), "strategies.approve_proposal")


@pytest.fixture
def approved(operator, checker):
    """Create a strategy as olga and have carol approve it."""

    def make(name, document):
        s = services.strategy_create(user=operator, name=name, document=document)
        return services.strategy_approve(user=checker, strategy_id=s.pk)

    return make


def forged_bars(last_ms, closes):
    n = len(closes)
    c = np.array(closes, dtype=float)
    t = last_ms + np.arange(1, n + 1, dtype=np.int64) * 60_000
    return {"time": t, "open": c, "high": c, "low": c, "close": c, "volume": np.ones(n)}


@pytest.mark.django_db
def test_deploy_runs_a_canary_then_paper_trades_through_the_order_service(
    operator, approved, sim_settings
):
    s = approved("long", always_long())
    r = runner.runner_deploy(user=operator, strategy=s)
    assert r.status == "RUNNING" and r.canary_run_id is not None
    from canary.models import CanaryRun

    assert CanaryRun.objects.get(pk=r.canary_run_id).status == "SIMULATED"
    events = runner.runner_tick(r.pk, forged_bars(r.last_bar_ms, [3000.0, 3100.0]))
    assert events[0]["action"] == "open" and events[0]["outcome"] == "ok"
    order = Order.objects.get(client_order_id=events[0]["order"])
    assert order.source == "strategy" and not order.dry_run and order.side == "BUY"
    assert order.risk_decision["allowed"] is True
    r.refresh_from_db()
    assert r.position_qty == order.filled_qty > 0
    assert r.last_price == Decimal("3100")
    assert r.unrealized_pnl() == (Decimal("3100") - r.entry_price) * r.position_qty
    # the same bar again: nothing new happens (idempotent per bar)
    assert runner.runner_tick(r.pk, forged_bars(r.last_bar_ms - 60_000, [3100.0])) == []
    # a bar whose close breaks the exit rule closes the position with a reduce-only order
    events = runner.runner_tick(r.pk, forged_bars(r.last_bar_ms, [0.5]))
    assert events[0]["action"] == "close" and events[0]["outcome"] == "ok"
    close = Order.objects.get(client_order_id=events[0]["order"])
    assert close.reduce_only and close.side == "SELL"
    r.refresh_from_db()
    assert r.position_qty == 0
    assert AuditEntry.objects.filter(action="strategy.deploy", outcome="ok").exists()


@pytest.mark.django_db
def test_a_signal_the_risk_gate_refuses_is_kept_as_an_event(operator, approved, sim_settings):
    s = approved("small", always_long())
    r = runner.runner_deploy(user=operator, strategy=s)
    # approved later with a far larger size? No: forge the runner's document to over-size
    StrategyRunner.objects.filter(pk=r.pk).update(document=always_long(qty=5.0))
    events = runner.runner_tick(r.pk, forged_bars(r.last_bar_ms, [3000.0]))
    assert events[0]["outcome"] == "rejected" and events[0]["code"] == "RISK_REJECTED"
    r.refresh_from_db()
    assert r.position_qty == 0 and r.status == "RUNNING"


@pytest.mark.django_db
def test_a_canary_the_gate_rejects_blocks_the_deployment(operator, approved, sim_settings):
    s = approved("big", always_long(qty=5.0))
    with pytest.raises(runner.RunnerRefused):
        runner.runner_deploy(user=operator, strategy=s)
    assert not StrategyRunner.objects.exists()


@pytest.mark.django_db
def test_a_hedge_mode_account_blocks_the_deployment(operator, approved, sim_settings):
    # the canary runs in hedge mode, but the runner's own orders are one-way
    switch_mode(sim_settings, hedge=True)
    position_mode_forget()
    try:
        s = approved("long", always_long())
        with pytest.raises(runner.RunnerRefused) as refused:
            runner.runner_deploy(user=operator, strategy=s)
    finally:
        position_mode_forget()
    assert refused.value.details["positionMode"] == "hedge"
    assert not StrategyRunner.objects.exists()
    assert not Order.objects.filter(dry_run=False).exists()
    assert AuditEntry.objects.filter(
        action="strategy.deploy", outcome="rejected", payload__positionMode="hedge"
    ).exists()


@pytest.mark.django_db
def test_unapproved_parameters_cannot_be_deployed(operator, approved, sim_settings):
    s = approved("long", always_long())
    with pytest.raises(services.FourEyesViolation):
        runner.runner_deploy(user=operator, strategy=s, document=always_long(qty=0.009))
    assert AuditEntry.objects.filter(action="strategy.deploy", outcome="denied").exists()


@pytest.mark.django_db
def test_a_stopped_runner_does_nothing_and_a_new_version_stops_the_old_runner(
    operator, approved, sim_settings
):
    s = approved("long", always_long())
    r = runner.runner_deploy(user=operator, strategy=s)
    runner.runner_stop(user=operator, runner_id=r.pk)
    assert runner.runner_tick(r.pk, forged_bars(r.last_bar_ms, [3000.0])) == []
    r2 = runner.runner_deploy(user=operator, strategy=s)
    s.version = 2
    s.save()
    events = runner.runner_tick(r2.pk, forged_bars(r2.last_bar_ms, [3000.0]))
    assert events[0]["action"] == "stopped"
    assert not Order.objects.filter(source="strategy").exists()


@pytest.mark.django_db
def test_deploying_needs_the_run_strategy_permission(quant, bob, sim_settings):
    s = services.strategy_create(user=quant, name="long", document=always_long())
    from spark_site.errors import PermissionDenied

    # bob is a viewer: he may read strategies but not run one.
    with pytest.raises(PermissionDenied):
        runner.runner_deploy(user=bob, strategy=s)


@pytest.mark.django_db
def test_the_page_deploys_and_the_api_stops_a_runner(
    client, api, operator, approved, token_for, sim_settings
):
    from tests.conftest import PASSWORD

    s = approved("long", always_long())
    client.login(username="olga", password=PASSWORD)
    r = client.post(f"/strategy-lab/strategies/{s.pk}/deploy", follow=True)
    html = r.content.decode()
    run = StrategyRunner.objects.get()
    assert f'data-runner-id="{run.pk}"' in html and "RUNNING" in html
    # no stream supervisor runs in this test: the page says the runner waits for the streams
    feed = html[html.index('id="runner-feed"') :][:600]
    assert "ethusdt@kline_1m" in feed and "akışlar durdu" in feed
    got = api.get(f"/strategies/runners/{run.pk}", token=token_for(operator)).json()
    assert got["status"] == "RUNNING" and got["canaryRunId"] == run.canary_run_id
    stopped = api.post(f"/strategies/runners/{run.pk}/stop", {}, token=token_for(operator))
    assert stopped.status_code == 200 and stopped.json()["status"] == "STOPPED"


@pytest.mark.django_db
def test_a_new_strategy_runs_only_after_someone_else_approves_it(operator, checker, sim_settings):
    s = services.strategy_create(user=operator, name="fresh", document=always_long())
    with pytest.raises(services.FourEyesViolation):
        runner.runner_deploy(user=operator, strategy=s)
    grant(operator, "strategies.approve_proposal")
    operator = type(operator).objects.get(pk=operator.pk)  # drop the cached permissions
    with pytest.raises(services.FourEyesViolation):
        services.strategy_approve(user=operator, strategy_id=s.pk)
    assert AuditEntry.objects.filter(action="strategy.approve", outcome="denied").exists()
    services.strategy_approve(user=checker, strategy_id=s.pk)
    s.refresh_from_db()
    assert s.approved_by == checker
    assert runner.runner_deploy(user=operator, strategy=s).status == "RUNNING"


def kline(symbol, open_ms, close, *, closed, interval="1m"):
    """A Binance kline stream message."""
    c = str(close)
    k = {"t": open_ms, "s": symbol, "i": interval, "o": c, "h": c, "l": c, "c": c, "v": "1"}
    return {"e": "kline", "s": symbol, "k": {**k, "x": closed}}


@pytest.mark.django_db
def test_the_feed_acts_once_per_closed_bar_and_fills_gaps_from_rest(
    operator, approved, sim_settings, fresh_runner_feed
):
    feed = fresh_runner_feed
    s = approved("long", always_long())
    r = runner.runner_deploy(user=operator, strategy=s)
    assert feed.wanted() == {("ETHUSDT", "1m")}
    last = r.last_bar_ms  # the newest bar closed at deployment
    # the still-open bar after it: the runner has seen everything closed, so nothing happens
    assert feed.on_kline(kline("ETHUSDT", last + 60_000, 3000, closed=False)) == []
    assert feed.rest_loads == 1  # the first message loads the history once
    # that bar closes on the stream: appended (no REST call), the entry rule fires once
    events = feed.on_kline(kline("ETHUSDT", last + 60_000, 3001.5, closed=True))
    assert [(e["action"], e["outcome"]) for e in events] == [("open", "ok")]
    assert feed.rest_loads == 1
    assert feed.bars[("ETHUSDT", "1m")]["close"][-1] == 3001.5
    # the same bar again (a replay, and the next bar's first message): nothing more
    assert feed.on_kline(kline("ETHUSDT", last + 60_000, 3001.5, closed=True)) == []
    assert feed.on_kline(kline("ETHUSDT", last + 120_000, 3002, closed=False)) == []
    assert Order.objects.filter(source="strategy").count() == 1
    # the stream skipped a bar (a reconnect): the missing bars come from the exchange
    feed.on_kline(kline("ETHUSDT", last + 240_000, 3000, closed=False))
    assert feed.rest_loads == 2
    assert int(feed.bars[("ETHUSDT", "1m")]["time"][-1]) <= last + 180_000
    # a stopped runner is no longer wanted and gets nothing
    runner.runner_stop(user=operator, runner_id=r.pk)
    assert feed.wanted() == set()
    assert feed.on_kline(kline("ETHUSDT", last + 300_000, 1, closed=True)) == []


@pytest.mark.backends
@pytest.mark.timeout(90)
@pytest.mark.django_db(transaction=True)
async def test_a_deployed_runner_trades_on_the_kline_stream_until_stopped(
    operator, approved, sim_settings, fresh_runner_feed, drain_sync_thread
):
    """The real supervisor on the stand-in's socket: subscribe, close a bar, trade, stop."""
    import asyncio
    import time

    from asgiref.sync import sync_to_async

    from futures.supervisor import Supervisor

    sim = sim_settings
    sim.control.feed(True)
    s = await sync_to_async(approved)("stream", always_long())
    r = await sync_to_async(runner.runner_deploy)(user=operator, strategy=s)

    async def until(predicate, seconds=20.0):
        deadline = time.monotonic() + seconds
        while not await sync_to_async(predicate)():
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.05)

    def strategy_orders():
        return Order.objects.filter(source="strategy").count()

    sup = Supervisor(ws_root=sim.ws_url, user_stream=False, mode="test")
    try:
        await sup.start(["BTCUSDT"])  # the runner's symbol need not be a streamed symbol
        await until(lambda: sup.status()["klines"] == ["ethusdt@kline_1m"])
        await until(lambda: sup.klines.delivered > 0)  # the subscription is live
        assert await sync_to_async(strategy_orders)() == 0
        sim.control.clock(61_000)  # a minute closes on the stand-in
        await until(lambda: strategy_orders() == 1)
        row = await sync_to_async(StrategyRunner.objects.get)(pk=r.pk)
        assert row.events[0]["action"] == "open" and row.events[0]["outcome"] == "ok"
        assert row.last_bar_ms > r.last_bar_ms and row.position_qty > 0
        assert fresh_runner_feed.rest_loads == 1  # the new bar came from the stream
        market = next(c for c in sup.status()["connections"] if c["name"] == "market")
        assert "ethusdt@kline_1m" in market["streams"]

        await sync_to_async(runner.runner_stop)(user=operator, runner_id=r.pk)
        await until(lambda: sup.status()["klines"] == [])
        sim.control.clock(61_000)
        await asyncio.sleep(1.5)
        assert await sync_to_async(strategy_orders)() == 1
    finally:
        await sup.stop()
