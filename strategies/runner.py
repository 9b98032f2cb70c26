"""Deployment: an approved strategy runs a canary first, then trades in paper mode.

Paper mode means the stand-in or a testnet: the runner refuses to start when the configured
exchange is production (the canary's policy decides, from the base URL). Every signal goes
through `futures.services.order_place`, so through the permission check, the exchange
filters and the risk gate; a refusal is kept as a runner event and the runner continues.

The market feed is the exchange's kline stream of the document's timeframe
(`strategies.feed`, run by the stream supervisor): when a bar closes, the document's rules are
evaluated on it (the same engine as the backtests, so the same signals). Client order ids are
derived from the runner and the bar, so a bar delivered twice never places twice. Every change
of a runner is published to the channel-layer group RUNNERS_GROUP for the live page.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import owner_name, require, require_owner
from audit.models import AuditEntry
from audit.services import record
from canary.services import canary_run, policy
from futures.services import OrderRequest, order_place
from spark_site.errors import DomainError, NotFound
from spark_site.groups import send_to_group
from strategies import data, engine
from strategies.documents import normalize
from strategies.models import Strategy, StrategyRunner
from strategies.schemas import runner_out
from strategies.services import FourEyesViolation, approved_document

HISTORY_BARS = 300
MAX_EVENTS = 200
RUNNERS_GROUP = "strategies.runners"


class RunnerRefused(DomainError):
    status = 409
    code = "RUNNER_REFUSED"


def _refuse_deploy(user, strategy, payload: dict, exc: RunnerRefused) -> None:
    """Audit a refused deployment (what was seen in payload) and raise its refusal."""
    record(
        actor=user,
        action="strategy.deploy",
        target=strategy.name,
        payload=payload,
        outcome=AuditEntry.Outcome.REJECTED,
    )
    raise exc


def recent_bars(
    symbol: str, interval: str, limit: int = HISTORY_BARS, *, end_ms: int | None = None
) -> dict[str, np.ndarray]:
    """The last `limit` CLOSED bars from the exchange: up to end_ms, or up to now."""
    import requests

    params = {"symbol": symbol, "interval": interval, "limit": limit + (end_ms is None)}
    if end_ms is not None:
        params["endTime"] = end_ms
    rows = data._get(requests.Session(), params)  # noqa: SLF001 - the history fetch's GET
    if end_ms is None:
        # without endTime the exchange's last row is the bar still open (by ITS clock)
        rows = rows[:-1]
    arr = np.array([[float(x) for x in r[:6]] for r in rows]) if rows else np.zeros((0, 6))
    return {
        "time": arr[:, 0].astype(np.int64),
        "open": arr[:, 1],
        "high": arr[:, 2],
        "low": arr[:, 3],
        "close": arr[:, 4],
        "volume": arr[:, 5],
    }


def _quantity(doc: dict, price: Decimal) -> Decimal:
    size = doc["position_size"]
    value = Decimal(str(size["value"]))
    if size["type"] == "fixed_qty":
        qty = value
    elif size["type"] == "fixed_notional":
        qty = value / price
    else:  # percent of equity has no meaning without an account balance: use the notional cap
        cap = Decimal(str(getattr(settings, "SPARK_DEFAULT_MAX_NOTIONAL_USD", "100")))
        qty = cap * value / 100 / price
    return qty.quantize(Decimal("0.001"), rounding=ROUND_DOWN)


def runner_deploy(*, user, strategy: Strategy, document: dict | None = None) -> StrategyRunner:
    """Start a runner for the approved parameters: canary first, then paper trading."""
    require(user, "strategies.run_strategy", action="strategy.deploy", target=strategy.name)
    try:
        doc = approved_document(strategy, document)
    except FourEyesViolation:
        record(
            actor=user,
            action="strategy.deploy",
            target=strategy.name,
            payload={"reason": "parameters not approved"},
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise
    if not policy()["confirmAllowed"]:
        raise RunnerRefused("paper trading runs on the stand-in or a testnet only")
    if StrategyRunner.objects.filter(
        strategy=strategy, status=StrategyRunner.Status.RUNNING
    ).exists():
        raise RunnerRefused(
            gettext_noop("%(name)s is already running"), params={"name": strategy.name}
        )
    bars = recent_bars(doc["symbol"], doc["timeframe"], limit=2)
    price = Decimal(str(bars["close"][-1])) if bars["close"].size else Decimal("0")
    qty = _quantity(doc, price) if price > 0 else Decimal("0")
    side = "SELL" if doc["side"] == "short" else "BUY"
    canary = canary_run(user=user, symbol=doc["symbol"], side=side, quantity=str(qty))
    if canary.status != "SIMULATED":
        _refuse_deploy(
            user,
            strategy,
            {"canary": canary.pk, "canaryStatus": canary.status},
            RunnerRefused(
                gettext_noop("the canary of %(name)s did not pass (%(status)s)"),
                params={"name": strategy.name, "status": canary.status},
                details={"canary": canary.pk, "error": canary.error},
            ),
        )
    if canary.position_mode != "one-way":
        # The runner's orders are one-way (no positionSide, reduce-only closes): on a hedge
        # account every one would be refused. The canary used to refuse hedge mode for it.
        _refuse_deploy(
            user,
            strategy,
            {"canary": canary.pk, "positionMode": canary.position_mode},
            RunnerRefused(
                gettext_noop(
                    "%(name)s cannot run: paper trading runs on a one-way account only, and "
                    "the Binance account is in hedge mode."
                ),
                params={"name": strategy.name},
                details={"canary": canary.pk, "positionMode": canary.position_mode},
            ),
        )
    runner = StrategyRunner.objects.create(
        strategy=strategy,
        version=strategy.version,
        document=doc,
        canary_run_id=canary.pk,
        started_by=user,
        last_bar_ms=int(bars["time"][-1]) if bars["time"].size else 0,
    )
    record(
        actor=user,
        action="strategy.deploy",
        target=strategy.name,
        payload={"runner": runner.pk, "version": strategy.version, "canary": canary.pk},
    )
    transaction.on_commit(lambda: publish(runner))
    return runner


def runner_stop(*, user, runner_id: int) -> StrategyRunner:
    require(user, "strategies.run_strategy", action="strategy.stop", target=f"runner:{runner_id}")
    runner = StrategyRunner.objects.filter(pk=runner_id).select_related("started_by").first()
    if runner is None:
        raise NotFound(gettext_noop("runner %(id)s not found"), params={"id": runner_id})
    require_owner(
        user, runner.started_by, action="strategy.stop", target=f"runner:{runner_id}", kind="runner"
    )
    StrategyRunner.objects.filter(pk=runner_id, status=StrategyRunner.Status.RUNNING).update(
        status=StrategyRunner.Status.STOPPED, stopped_at=timezone.now()
    )
    record(
        actor=user,
        action="strategy.stop",
        target=runner.strategy.name,
        payload={"runner": runner_id, "owner": owner_name(runner.started_by)},
    )
    runner.refresh_from_db()
    transaction.on_commit(lambda: publish(runner))
    return runner


def publish(runner: StrategyRunner) -> None:
    """Send the runner's state to the live Strategy Lab pages (never fails the caller)."""
    send_to_group(RUNNERS_GROUP, {"type": "runner.update", "runner": runner_out(runner)})


def _event(runner: StrategyRunner, **fields) -> None:
    runner.events = ([{"at": timezone.now().isoformat(), **fields}] + list(runner.events))[
        :MAX_EVENTS
    ]


def _place(runner: StrategyRunner, *, side: str, qty: Decimal, reduce_only: bool, bar_ms: int):
    doc = runner.document
    tag = "x" if reduce_only else "o"
    return order_place(
        user=runner.started_by,
        request=OrderRequest(
            symbol=doc["symbol"],
            side=side,
            type="MARKET",
            quantity=qty,
            reduce_only=reduce_only,
            dry_run=False,
            client_order_id=f"strat-{runner.pk}-{bar_ms // 1000}-{tag}",
            source="strategy",
        ),
    )


def runner_tick(runner_id: int, bars: dict[str, np.ndarray]) -> list[dict]:
    """Evaluate the rules on the closed bars given; act on the newest one if it is new."""
    runner = StrategyRunner.objects.select_related("strategy", "started_by").get(pk=runner_id)
    if runner.status != StrategyRunner.Status.RUNNING:
        return []
    doc = normalize(runner.document)
    if runner.strategy.version != runner.version:
        # the approved parameters changed: this runner's are no longer approved
        runner.status = StrategyRunner.Status.STOPPED
        runner.stopped_at = timezone.now()
        _event(runner, action="stopped", reason="parameters changed; redeploy the new version")
        runner.save(update_fields=["status", "stopped_at", "events"])
        publish(runner)
        return runner.events[:1]
    n = bars["close"].size
    if n == 0 or int(bars["time"][-1]) <= runner.last_bar_ms:
        return []
    entry, exit_ = engine.signals(doc, bars)
    i = n - 1
    bar_ms = int(bars["time"][i])
    close = Decimal(str(bars["close"][i]))
    direction = -1 if doc["side"] == "short" else 1
    flat = runner.position_qty == 0
    action = None
    if flat and entry[i] and not exit_[i]:
        action = "open"
    elif not flat:
        entry_px = float(runner.entry_price)
        sl, tp = doc.get("stop_loss_pct"), doc.get("take_profit_pct")
        lo, hi = float(bars["low"][i]), float(bars["high"][i])
        worst, best = (lo, hi) if direction > 0 else (hi, lo)
        stop_hit = bool(sl) and (worst - entry_px) * direction <= -entry_px * sl / 100
        target_hit = bool(tp) and (best - entry_px) * direction >= entry_px * tp / 100
        if exit_[i] or stop_hit or target_hit:
            action = "close"
    done: list[dict] = []
    if action is not None:
        opening = action == "open"
        side = (
            ("BUY" if direction > 0 else "SELL")
            if opening
            else ("SELL" if direction > 0 else "BUY")
        )
        qty = _quantity(doc, close) if opening else abs(runner.position_qty)
        try:
            result = _place(runner, side=side, qty=qty, reduce_only=not opening, bar_ms=bar_ms)
        except DomainError as exc:
            _event(
                runner,
                action=action,
                bar=bar_ms,
                outcome="rejected",
                code=exc.code,
                message=exc.message,
            )
        else:
            order = result.order
            price = order.avg_price or close
            filled = order.filled_qty or qty
            if opening:
                runner.position_qty = filled * direction
                runner.entry_price = price
            else:
                pnl = (price - runner.entry_price) * abs(runner.position_qty) * direction
                runner.realized_pnl += pnl
                runner.position_qty = Decimal("0")
                runner.entry_price = Decimal("0")
            _event(
                runner,
                action=action,
                bar=bar_ms,
                outcome="ok",
                side=side,
                qty=str(filled),
                price=str(price),
                order=order.client_order_id,
                status=order.status,
            )
        done = runner.events[:1]
    runner.last_bar_ms = bar_ms
    runner.last_price = close
    runner.save(
        update_fields=[
            "last_price",
            "position_qty",
            "entry_price",
            "realized_pnl",
            "last_bar_ms",
            "events",
        ]
    )
    publish(runner)
    return done
