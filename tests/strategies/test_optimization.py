"""Grid / random search with walk-forward folds, as a background job with live progress."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from strategies import optimize
from strategies.documents import ema_cross
from strategies.models import OptimizationRun
from tests.strategies.conftest import period


def _dates(p):
    return datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"])


@pytest.mark.django_db
def test_a_grid_search_scores_every_set_on_train_and_test_folds(quant, sim_settings):
    start, end = _dates(period(1000, 400))
    run = optimize.optimization_start(
        user=quant,
        document=ema_cross(5, 20),
        space={"fast.period": [3, 5, 8], "slow.period": [20, 30]},
        method="grid",
        samples=0,
        splits=3,
        start=start,
        end=end,
        background=False,
    )
    assert run.status == "DONE" and run.done == run.total == 6
    assert {tuple(r["params"].values()) for r in run.results} == {
        (3, 20),
        (3, 30),
        (5, 20),
        (5, 30),
        (8, 20),
        (8, 30),
    }
    for r in run.results:
        assert len(r["folds"]) == 3
        mean_train = sum(f["train"] for f in r["folds"]) / 3
        assert r["train_return_pct"] == pytest.approx(mean_train, abs=1e-3)
    assert run.best == max(run.results, key=lambda r: r["train_return_pct"])


def test_random_search_samples_distinct_grid_points():
    combos = optimize.combinations({"a": list(range(10)), "b": list(range(10))}, "random", 7, 1)
    assert len(combos) == 7 == len({(c["a"], c["b"]) for c in combos})
    assert optimize.combinations({"a": [1, 2]}, "random", 7, 1) == [{"a": 1}, {"a": 2}]


@pytest.mark.django_db
def test_an_unknown_parameter_is_refused_before_the_job_starts(api, quant, token_for):
    r = api.post(
        "/strategies/optimizations",
        {"document": ema_cross(), "space": {"medium.period": [1, 2]}, **period()},
        token=token_for(quant),
    )
    assert r.status_code == 422
    assert not OptimizationRun.objects.exists()


def _wait(opt_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = OptimizationRun.objects.get(pk=opt_id)
        if run.status in OptimizationRun.FINAL:
            return run
        time.sleep(0.05)
    raise AssertionError("optimization did not finish")


# In-memory layer only: channels-redis binds a process-local channel's receive buffer to the
# event loop that created it, and each async_to_sync call here runs on another loop. The Redis
# layer's delivery of live updates is proven by tests/scaleout and tests/futures consumers.
@pytest.mark.django_db(transaction=True)
def test_the_background_job_publishes_progress_to_its_group(api, quant, token_for, sim_settings):
    from django.db import transaction

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    start, end = _dates(period(800, 400))
    with transaction.atomic():  # the worker starts on commit: listen before it does
        run = optimize.optimization_start(
            user=quant,
            document=ema_cross(5, 20),
            space={"fast.period": [3, 5], "slow.period": [20, 30, 40]},
            method="grid",
            samples=0,
            splits=2,
            start=start,
            end=end,
        )
        async_to_sync(layer.group_add)(optimize.group_of(run.pk), channel)
    run = _wait(run.pk)
    assert run.status == "DONE" and run.done == 6 and len(run.results) == 6
    events = []

    async def receive():
        # Fail, never hang, when an event does not come.
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    while True:
        event = async_to_sync(receive)()
        events.append(event)
        if event.get("final"):
            break
    assert all(e["type"] == "opt.progress" for e in events)
    assert events[-1]["status"] == "DONE" and events[-1]["done"] == 6
    got = api.get(f"/strategies/optimizations/{run.pk}", token=token_for(quant)).json()
    assert got["progress"] == 1.0 and len(got["results"]) == 6
    assert got["group"] == f"strategies.opt.{run.pk}"


@pytest.mark.backends
@pytest.mark.django_db(transaction=True)
def test_a_running_job_can_be_cancelled(api, quant, token_for, sim_settings):
    r = api.post(
        "/strategies/optimizations",
        {
            "document": ema_cross(5, 20),
            "space": {"fast.period": list(range(2, 22)), "slow.period": list(range(23, 43))},
            "splits": 3,
            **period(2000, 400),
        },
        token=token_for(quant),
    )
    assert r.status_code == 202, r.content
    opt_id = r.json()["id"]
    c = api.post(f"/strategies/optimizations/{opt_id}/cancel", {}, token=token_for(quant))
    assert c.status_code == 200
    run = _wait(opt_id)
    assert run.status == "CANCELLED"
    assert run.done < run.total == 400


def test_walk_forward_picks_the_best_training_set_per_fold_and_reports_it_out_of_sample():
    results = [
        {"params": {"a": 1}, "folds": [{"train": 10, "test": -2}, {"train": 1, "test": 3}]},
        {"params": {"a": 2}, "folds": [{"train": 5, "test": 4}, {"train": 8, "test": -1}]},
    ]
    wf = optimize.walk_forward(results)
    assert [f["params"] for f in wf["folds"]] == [{"a": 1}, {"a": 2}]
    assert wf["mean_train_return_pct"] == 9.0
    assert wf["mean_test_return_pct"] == -1.5
    assert wf["overfit_gap_pct"] == 10.5
