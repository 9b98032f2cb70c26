"""Parameter search (grid or random) with walk-forward splits, as a cancellable background job.

Walk-forward: the period is cut into splits + 1 equal segments; fold k trains on segment k
and tests on segment k + 1 (the next, unseen stretch). For every parameter set we keep the
mean train and mean test return: a set that shines in training and fades out of sample is
over-fitted, and the page shows both side by side and as a heat map.

Progress is published on the channel layer group `strategies.opt.<id>` as
{"type": "opt.progress", ...} events; cancel sets a flag the worker reads between sets.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time

import numpy as np
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import owner_name, require, require_owner
from audit.services import record
from spark_site.errors import NotFound, ValidationFailed
from spark_site.groups import send_to_group
from strategies import data, engine
from strategies.documents import get_param, with_params
from strategies.models import OptimizationRun
from strategies.services import backtest_config

logger = logging.getLogger(__name__)

MAX_COMBINATIONS = 500
PUBLISH_EVERY_S = 0.2


def group_of(opt_id: int) -> str:
    return f"strategies.opt.{opt_id}"


def combinations(space: dict[str, list], method: str, samples: int, seed: int) -> list[dict]:
    """The parameter sets to try: the full grid, or `samples` distinct random grid points."""
    keys = list(space)
    grid = [dict(zip(keys, values, strict=True)) for values in itertools.product(*space.values())]
    if method == "random" and samples < len(grid):
        grid = random.Random(seed).sample(grid, samples)
    return grid


def publish(opt: OptimizationRun, **extra) -> None:
    """Send the run's progress to its live page (a broken channel layer never stops it)."""
    event = {
        "type": "opt.progress",
        "id": opt.pk,
        "status": opt.status,
        "done": opt.done,
        "total": opt.total,
        "best": opt.best,
        **extra,
    }
    send_to_group(group_of(opt.pk), event)


def optimization_start(
    *,
    user,
    document: dict,
    space: dict[str, list],
    method: str,
    samples: int,
    splits: int,
    start,
    end,
    config: dict | None = None,
    background: bool = True,
) -> OptimizationRun:
    """Validate the search, fetch the data, create the run and start its worker thread."""
    require(user, "strategies.run_backtest", action="strategy.optimize")
    if not space or len(space) > 4:
        raise ValidationFailed(
            "declare one to four parameters to search", details={"field": "space"}
        )
    for path, values in space.items():
        get_param(document, path)  # raises on an unknown parameter
        if not values:
            raise ValidationFailed(
                "%(path)s has no values", params={"path": path}, details={"field": path}
            )
    combos = combinations(space, method, samples, seed=0)
    if len(combos) > MAX_COMBINATIONS:
        raise ValidationFailed(
            "%(count)s combinations; at most %(max)s",
            params={"count": len(combos), "max": MAX_COMBINATIONS},
            details={"field": "space"},
        )
    for c in combos:  # every set must make a valid document before the job starts
        with_params(document, c)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    data.fetch_klines(
        symbol=document["symbol"], interval=document["timeframe"], start_ms=start_ms, end_ms=end_ms
    )
    backtest_config(config, document)  # validate now, not in the thread
    run = OptimizationRun.objects.create(
        document=document,
        space=space,
        method=method,
        splits=splits,
        start_ms=start_ms,
        end_ms=end_ms,
        config=config or {},
        total=len(combos),
        created_by=user,
    )
    record(
        actor=user,
        action="strategy.optimize",
        target=document["symbol"],
        payload={"optimization": run.pk, "combinations": len(combos), "method": method},
    )
    if background:
        # start after commit: the thread must see the row
        transaction.on_commit(
            lambda: threading.Thread(
                target=_worker, args=(run.pk, combos), name=f"opt-{run.pk}", daemon=True
            ).start()
        )
    else:
        optimization_execute(run.pk, combos)
        run.refresh_from_db()
    return run


def optimization_cancel(*, user, opt_id: int) -> OptimizationRun:
    require(user, "strategies.run_backtest", action="strategy.optimize.cancel")
    run = OptimizationRun.objects.filter(pk=opt_id).select_related("created_by").first()
    if run is None:
        raise NotFound(gettext_noop("optimization %(id)s not found"), params={"id": opt_id})
    require_owner(
        user,
        run.created_by,
        action="strategy.optimize.cancel",
        target=str(opt_id),
        kind="optimization",
    )
    OptimizationRun.objects.filter(pk=opt_id).exclude(status__in=OptimizationRun.FINAL).update(
        cancel_requested=True
    )
    record(
        actor=user,
        action="strategy.optimize.cancel",
        target=str(opt_id),
        payload={"owner": owner_name(run.created_by)},
    )
    run.refresh_from_db()
    return run


def _worker(opt_id: int, combos: list[dict]) -> None:
    try:
        optimization_execute(opt_id, combos)
    except Exception:
        logger.exception("optimization %s failed", opt_id)
    finally:
        # The thread ends here: close its connections whatever CONN_MAX_AGE says, or each run
        # would leave one open until the garbage collector finds it.
        connections.close_all()


def _folds(n: int, splits: int) -> list[tuple[slice, slice]]:
    edges = np.linspace(0, n, splits + 2).astype(int)
    return [
        (slice(edges[k], edges[k + 1]), slice(edges[k + 1], edges[k + 2])) for k in range(splits)
    ]


def walk_forward(results: list[dict]) -> dict:
    """Pick the best set on each fold's training stretch; report it on the next stretch.

    The mean of those out-of-sample returns is what the search would really have earned;
    its gap to the mean in-sample return is the over-fitting the search bought.
    """
    if not results or not results[0]["folds"]:
        return {}
    folds = []
    for f in range(len(results[0]["folds"])):
        pick = max(results, key=lambda r: r["folds"][f]["train"])
        folds.append(
            {
                "fold": f + 1,
                "params": pick["params"],
                "train_return_pct": pick["folds"][f]["train"],
                "test_return_pct": pick["folds"][f]["test"],
            }
        )
    train = sum(x["train_return_pct"] for x in folds) / len(folds)
    test = sum(x["test_return_pct"] for x in folds) / len(folds)
    return {
        "folds": folds,
        "mean_train_return_pct": round(train, 4),
        "mean_test_return_pct": round(test, 4),
        "overfit_gap_pct": round(train - test, 4),
    }


def optimization_execute(opt_id: int, combos: list[dict]) -> None:
    """Evaluate every parameter set on every fold; save and publish progress as it goes."""
    claimed = OptimizationRun.objects.filter(
        pk=opt_id, status=OptimizationRun.Status.QUEUED
    ).update(status=OptimizationRun.Status.RUNNING)
    if not claimed:
        return
    opt = OptimizationRun.objects.get(pk=opt_id)
    try:
        doc = opt.document
        bars = data.load_bars(
            symbol=doc["symbol"],
            interval=doc["timeframe"],
            start_ms=opt.start_ms,
            end_ms=opt.end_ms,
        )
        cfg = backtest_config(opt.config, doc)
        folds = _folds(bars["close"].size, opt.splits)
        results: list[dict] = []
        last_pub = 0.0
        for idx, params in enumerate(combos):
            if OptimizationRun.objects.filter(pk=opt_id, cancel_requested=True).exists():
                opt.status = OptimizationRun.Status.CANCELLED
                break
            pdoc = with_params(doc, params)
            entry, exit_ = engine.signals(pdoc, bars)  # causal: computed once, sliced per fold
            train, test, trades = [], [], 0
            for tr, te in folds:
                for sl, sink in ((tr, train), (te, test)):
                    part = {k: v[sl] for k, v in bars.items()}
                    r = engine.simulate(pdoc, part, cfg, entry=entry[sl], exit_=exit_[sl])
                    sink.append(r.metrics.get("total_return_pct") or 0.0)
                    trades += r.metrics["trades"]
            results.append(
                {
                    "params": params,
                    "train_return_pct": round(float(np.mean(train)), 4),
                    "test_return_pct": round(float(np.mean(test)), 4),
                    "folds": [
                        {"train": round(a, 4), "test": round(b, 4)}
                        for a, b in zip(train, test, strict=True)
                    ],
                    "trades": trades,
                }
            )
            opt.done = idx + 1
            opt.best = max(results, key=lambda r: r["train_return_pct"])
            now = time.monotonic()
            if now - last_pub >= PUBLISH_EVERY_S or idx + 1 == len(combos):
                OptimizationRun.objects.filter(pk=opt_id).update(done=opt.done, best=opt.best)
                publish(opt)
                last_pub = now
        else:
            opt.status = OptimizationRun.Status.DONE
        opt.results = results
        opt.walk_forward = walk_forward(results)
    except Exception as exc:
        opt.status = OptimizationRun.Status.FAILED
        opt.error = f"{type(exc).__name__}: {exc}"[:500]
        logger.exception("optimization %s failed", opt_id)
    opt.finished_at = timezone.now()
    opt.save(
        update_fields=["status", "done", "best", "results", "walk_forward", "error", "finished_at"]
    )
    publish(opt, final=True)
