"""The market stream client against the stand-in: data, live (un)subscribe, reconnect back-off."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from futures import metrics
from futures.binance.streams import Backoff, MarketStream
from tests.support.waiting import apoll

pytestmark = pytest.mark.timeout(60)


@contextlib.asynccontextmanager
async def running(stream: MarketStream):
    task = asyncio.create_task(stream.run())
    try:
        yield task
    finally:
        await stream.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def sample(name: str) -> float:
    return metrics.WS_RECONNECTS.labels(name)._value.get()  # noqa: SLF001


async def test_it_receives_every_market_stream_kind_on_one_combined_socket(sim):
    sim.control.feed(True)
    got: list[tuple[str, str]] = []
    stream = MarketStream(
        "mkt-kinds", sim.ws_url, ["BTCUSDT"], lambda k, d: got.append((k, d["s"]))
    )
    assert stream.url().startswith(sim.ws_url + "/stream?streams=btcusdt@aggTrade/")
    async with running(stream):
        await apoll(lambda: {k for k, _ in got} >= {"aggTrade", "ticker", "markPrice", "depth"})
    assert {s for _, s in got} == {"BTCUSDT"}
    assert stream.stats.connects == 1 and stream.stats.reconnects == 0


async def test_it_subscribes_and_unsubscribes_live_when_the_symbol_set_changes(sim):
    sim.control.feed(True)
    got: list[str] = []
    stream = MarketStream("mkt-sub", sim.ws_url, ["BTCUSDT"], lambda k, d: got.append(d["s"]))
    async with running(stream):
        await apoll(lambda: "BTCUSDT" in got)
        await stream.set_symbols(["ETHUSDT"])
        await apoll(lambda: "ETHUSDT" in got)
        await asyncio.sleep(0.3)  # frames already in flight for BTCUSDT may still arrive
        got.clear()
        await asyncio.sleep(1.2)
        assert got and set(got) == {"ETHUSDT"}
        assert stream.requests == {}  # both requests were answered
        assert stream.stats.connects == 1  # no reconnect was needed


async def test_it_reconnects_a_cut_socket_with_full_jitter_exponential_backoff(sim):
    sim.control.feed(True)
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await asyncio.sleep(delay)

    backoff = Backoff(base=0.02, cap=0.16, healthy_after=30.0, rng=random.Random(5))
    before = sample("mkt-cut")
    stream = MarketStream(
        "mkt-cut", sim.ws_url, ["BTCUSDT"], lambda k, d: None, backoff=backoff, sleep=sleep
    )
    sim.control.faults(ws_cut_after=3)
    async with running(stream):
        await apoll(lambda: stream.stats.reconnects >= 6, 20)
    # Every delay slept is one the back-off handed out, in order, for consecutive attempts.
    attempts = [a for a, _ in backoff.history]
    assert attempts[: len(slept)] == list(range(len(slept)))
    assert slept == [d for _, d in backoff.history][: len(slept)]
    for attempt, delay in backoff.history:
        assert 0 <= delay <= min(0.16, 0.02 * 2**attempt)  # full jitter under the ceiling
    # Capped: the ceiling stops growing at the cap.
    assert backoff.ceiling(10) == 0.16
    # The jitter is real: not every delay sits on its ceiling.
    assert any(d < backoff.ceiling(a) * 0.9 for a, d in backoff.history)
    assert sample("mkt-cut") - before >= 6
    assert stream.stats.errors >= 6


def test_the_backoff_ceiling_doubles_from_one_second_to_sixty_and_resets():
    b = Backoff(rng=random.Random(1))
    assert [b.ceiling(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    for _ in range(5):
        b.next_delay()
    assert b.attempt == 5
    b.reset()
    assert b.attempt == 0
    assert 0 <= b.next_delay() <= 1


async def test_a_connection_healthy_for_long_enough_resets_the_backoff(sim):
    sim.control.feed(True)
    backoff = Backoff(base=0.02, cap=0.16, healthy_after=0.0, rng=random.Random(3))
    stream = MarketStream(
        "mkt-healthy", sim.ws_url, ["BTCUSDT"], lambda k, d: None, backoff=backoff
    )
    sim.control.faults(ws_cut_after=3)
    async with running(stream):
        await apoll(lambda: stream.stats.reconnects >= 4, 20)
    # healthy_after=0: every drop follows a "healthy" connection, so each delay is attempt 0.
    assert {a for a, _ in backoff.history} == {0}


async def test_a_silent_socket_is_declared_dead_and_replaced(sim):
    # markPrice@1s alone, feed paused: silence bound 0.3 s is shorter than the 1 s period.
    stream = MarketStream(
        "mkt-silent",
        sim.ws_url,
        ["BTCUSDT"],
        lambda k, d: None,
        backoff=Backoff(base=0.01, cap=0.02, healthy_after=60),
        silence_timeout=0.3,
    )
    stream.wanted = lambda: ["btcusdt@markPrice@1s"]
    async with running(stream):
        await apoll(lambda: stream.stats.reconnects >= 1, 10)
    assert "no frame" in stream.stats.last_error or stream.stats.errors >= 1


async def test_a_planned_reconnect_happens_before_the_age_limit_without_backoff(sim):
    sim.control.feed(True)
    backoff = Backoff(base=5, cap=5, healthy_after=60)
    stream = MarketStream(
        "mkt-age", sim.ws_url, ["BTCUSDT"], lambda k, d: None, backoff=backoff, max_age=0.4
    )
    async with running(stream):
        await apoll(lambda: stream.stats.reconnects >= 2, 10)
    assert backoff.history == []  # planned cuts reconnect at once
    assert stream.stats.errors == 0


async def test_it_answers_the_exchange_pings_so_the_exchange_keeps_the_socket():
    from simexchange.testing import running_simexchange

    # The stand-in pings every 0.2 s and drops a socket whose pong is 0.6 s late.
    with running_simexchange(ping_interval=0.2, pong_timeout=0.6, tick_ms=100) as sim:
        stream = MarketStream(
            "mkt-ping",
            sim.ws_url,
            ["BTCUSDT"],
            lambda k, d: None,
            ping_interval=None,  # only the exchange's pings: prove we answer them
            backoff=Backoff(0.01, 0.02, 60),
        )
        async with running(stream):
            await apoll(lambda: stream.stats.state == "up")
            await asyncio.sleep(2.0)
            assert stream.stats.state == "up"
        assert stream.stats.connects == 1 and stream.stats.reconnects == 0
