"""Canary workflows: simulate a small order, confirm it once on a testnet, keep the evidence.

The policy is read from the configured exchange, never from the request: a confirm goes to the
exchange only when the base URL resolves to the stand-in, Binance's futures testnet or demo
trading; production is refused (403, audited) whatever the caller claims.

The canary follows the account's position mode, read from the exchange: one-way, its order is on
BOTH and closed reduce-only; hedge, it is on LONG (a BUY) or SHORT (a SELL), needs only that side
flat (the other side is left as it is) and is closed on the same side without reduceOnly, which
Binance refuses there. A confirm reads the mode again and places nothing if it is no longer the
mode the run was simulated in.
"""

from __future__ import annotations

import logging
import platform
import time
import uuid
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import owner_name, require, require_owner
from audit.models import AuditEntry
from audit.services import record
from canary import evidence, metrics
from canary.models import CanaryRun
from futures.binance.rest import client_from_settings
from futures.models import PositionSide
from futures.position_mode import PositionMode, position_mode_current, position_mode_forget
from futures.services import OrderRequest, order_place
from risk import providers as risk_providers
from risk.errors import RiskRejected
from spark_site import __version__
from spark_site.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from spark_site.exchange_env import DEMO, LIVE, SIM, TESTNET, environment_of

logger = logging.getLogger(__name__)

TESTNETS = (SIM, TESTNET, DEMO)
# ETHUSDT 0.008 is ~27 USD at 3,400: above ETHUSDT's MIN_NOTIONAL (20) while ETH >= 2,500 and
# under the default max notional (100) while ETH <= 12,500. Never BTCUSDT, whose MIN_NOTIONAL
# (100) meets the default max notional (see the risk status' conflicts).
DEFAULT_SYMBOL = "ETHUSDT"
DEFAULT_QUANTITY = Decimal("0.008")
DEFAULT_SIDE = "BUY"


class CanaryConflict(DomainError):
    status = 409
    code = "CANARY_CONFLICT"


class CanaryExpired(DomainError):
    status = 409
    code = "CANARY_EXPIRED"


class CanaryPositionNotFlat(DomainError):
    status = 409
    code = "CANARY_POSITION_NOT_FLAT"


class CanaryLiveRefused(PermissionDenied):
    code = "CANARY_LIVE_REFUSED"


class CanaryModeChanged(DomainError):
    status = 409
    code = "CANARY_MODE_CHANGED"


ONE_WAY = "one-way"
HEDGE = "hedge"


def _mode_name(mode: PositionMode) -> str:
    return HEDGE if mode.dual else ONE_WAY


def _side_for(mode_name: str, side: str) -> str:
    """The positionSide of the canary's order: BOTH one-way; hedge, the side a BUY or SELL opens."""
    if mode_name != HEDGE:
        return PositionSide.BOTH
    return PositionSide.LONG if side == "BUY" else PositionSide.SHORT


# ------------------------------------------------------------------------------------ policy


def policy() -> dict:
    """The policy in force, derived from the configured base URL (read now)."""
    base = settings.BINANCE_FUTURES_BASE_URL
    derived = environment_of(base)
    declared = getattr(settings, "BINANCE_FUTURES_RESOLVED_ENV", derived)
    # Both must say testnet: a stale or hand-set RESOLVED_ENV can never unlock production.
    environment = derived if derived == declared else LIVE
    ttl = int(getattr(settings, "SPARK_CANARY_CONFIRM_TTL_SECONDS", 600))
    return {
        "environment": environment,
        "exchangeHost": urlparse(base).hostname or "",
        "testnetOnly": True,
        "confirmAllowed": environment in TESTNETS,
        "confirmTtlSeconds": ttl,
        "defaults": {
            "symbol": _default_symbol(),
            "side": DEFAULT_SIDE,
            "type": "MARKET",
            "quantity": format(_default_quantity(), "f"),
        },
    }


def _default_symbol() -> str:
    return str(getattr(settings, "SPARK_CANARY_DEFAULT_SYMBOL", DEFAULT_SYMBOL)).upper()


def _default_quantity() -> Decimal:
    return Decimal(str(getattr(settings, "SPARK_CANARY_DEFAULT_QUANTITY", DEFAULT_QUANTITY)))


def _settings_that_matter() -> dict:
    """Settings the evidence records; secrets never (keys are named, not shown)."""
    return {
        "BINANCE_FUTURES_BASE_URL": settings.BINANCE_FUTURES_BASE_URL,
        "BINANCE_FUTURES_RESOLVED_ENV": getattr(settings, "BINANCE_FUTURES_RESOLVED_ENV", ""),
        "BINANCE_RECV_WINDOW": getattr(settings, "BINANCE_RECV_WINDOW", None),
        "SPARK_CANARY_CONFIRM_TTL_SECONDS": getattr(
            settings, "SPARK_CANARY_CONFIRM_TTL_SECONDS", None
        ),
        "SPARK_DEFAULT_MAX_NOTIONAL_USD": str(
            getattr(settings, "SPARK_DEFAULT_MAX_NOTIONAL_USD", "")
        ),
        "SPARK_DEFAULT_DAILY_LOSS_LIMIT_USD": str(
            getattr(settings, "SPARK_DEFAULT_DAILY_LOSS_LIMIT_USD", "")
        ),
        "apiKeyConfigured": bool(getattr(settings, "BINANCE_API_KEY", "")),
    }


def _filters_used(symbol: str) -> dict | None:
    """The exchange filters of symbol, as the order path saw them (Decimals as strings).

    The connector's cached exchange info gives every filter; the risk provider (four of them)
    is the fallback when the connector cannot answer.
    """
    try:
        filters = client_from_settings().symbol_filters(symbol)
    except Exception as exc:  # evidence records what it could not read
        found = risk_providers.filters(symbol)
        if found:
            return {k: format(v, "f") for k, v in found.items()}
        return {"error": type(exc).__name__}
    if filters is None:
        return None
    raw = asdict(filters) if is_dataclass(filters) else dict(filters)
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in raw.items()}


def _name(user) -> str:
    return user.get_username() if getattr(user, "is_authenticated", False) else "anonymous"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _order_doc(order) -> dict:
    def s(v):
        return format(v, "f") if v is not None else None

    return {
        "clientOrderId": order.client_order_id,
        "exchangeOrderId": order.exchange_order_id,
        "environment": order.environment,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "quantity": s(order.quantity),
        "positionSide": order.position_side,
        "reduceOnly": order.reduce_only,
        "dryRun": order.dry_run,
        "status": order.status,
        "filledQty": s(order.filled_qty),
        "avgPrice": s(order.avg_price),
    }


def _document(run: CanaryRun, **extra) -> dict:
    """The run's evidence document (without its chain position; evidence.append adds it)."""
    return {
        "kind": "spark.canary.evidence",
        "runId": run.pk,
        "status": run.status,
        "startedBy": run.started_by_name,
        "createdAt": _iso(run.created_at),
        "expiresAt": _iso(run.expires_at),
        "environment": run.environment,
        "request": run.request,
        "riskDecision": run.risk_decision,
        "simulatedFill": run.simulated_fill,
        "confirmation": run.confirmation,
        "confirmedBy": run.confirmed_by.get_username() if run.confirmed_by_id else None,
        "confirmedAt": _iso(run.confirmed_at),
        "keepPosition": run.keep_position,
        "positionMode": run.position_mode or None,
        "positionSide": run.position_side or None,
        "error": run.error,
        "platform": {"spark": __version__, "python": platform.python_version()},
        **extra,
    }


def _seal(run: CanaryRun, stage: str, **extra) -> None:
    previous = run.evidence or {}
    carried = {k: previous[k] for k in ("exchangeFilters", "settings", "timings") if k in previous}
    carried.update(extra)
    evidence.append(run, _document(run, **carried), stage=stage)


# --------------------------------------------------------------------------------------- run


def _parse_request(symbol, side, quantity) -> dict:
    errors = []
    symbol = (symbol or _default_symbol()).strip().upper()
    side = (side or DEFAULT_SIDE).strip().upper()
    if side not in ("BUY", "SELL"):
        errors.append({"field": "side", "message": "BUY or SELL"})
    try:
        qty = Decimal(str(quantity)) if quantity not in (None, "") else _default_quantity()
        if not qty.is_finite() or qty <= 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append({"field": "quantity", "message": "a positive decimal"})
        qty = Decimal(0)
    if errors:
        raise ValidationFailed("Invalid canary order.", details={"fields": errors})
    return {"symbol": symbol, "side": side, "type": "MARKET", "quantity": format(qty, "f")}


def canary_run(*, user, symbol=None, side=None, quantity=None) -> CanaryRun:
    """Dry-run a small order through the order service and the risk gate; store the run."""
    require(user, "canary.run_canary", action="canary.run", target=symbol or _default_symbol())
    req = _parse_request(symbol, side, quantity)
    pol = policy()
    ttl = pol["confirmTtlSeconds"]
    now = timezone.now()
    run = CanaryRun.objects.create(
        created_at=now,
        started_by=user,
        started_by_name=_name(user),
        environment=pol["environment"],
        request=req,
        symbol=req["symbol"],
        side=req["side"],
        quantity=Decimal(req["quantity"]),
        expires_at=now + timedelta(seconds=ttl),
        status=CanaryRun.Status.FAILED,  # until the simulation says otherwise
    )
    started = time.perf_counter()
    outcome = AuditEntry.Outcome.OK
    try:
        # The mode the run is simulated in (and the side its order is on) is what a confirm
        # must find again: read here, never assumed.
        run.position_mode = _mode_name(position_mode_current())
        run.position_side = _side_for(run.position_mode, req["side"])
        result = order_place(
            user=user,
            request=OrderRequest(
                symbol=req["symbol"],
                side=req["side"],
                type="MARKET",
                quantity=Decimal(req["quantity"]),
                position_side=run.position_side,
                dry_run=True,
                client_order_id=f"canary-{run.pk}-dry-{uuid.uuid4().hex[:8]}",
                source="canary",
            ),
        )
    except RiskRejected as exc:
        run.status = CanaryRun.Status.REJECTED
        run.risk_decision = exc.decision.as_dict() if exc.decision else {"message": exc.message}
        run.risk_decision["conflicts"] = exc.details.get("conflicts", [])
        run.error = {"code": exc.code, "message": exc.message}
        outcome = AuditEntry.Outcome.REJECTED
    except DomainError as exc:
        run.status = CanaryRun.Status.FAILED
        run.error = {"code": exc.code, "message": exc.message, "details": exc.details}
        outcome = AuditEntry.Outcome.FAILED
    except Exception as exc:
        # Whatever broke, the run is stored and sealed: a run without evidence would read as
        # tampering to verify_canary_evidence.
        logger.exception("canary run %s failed", run.pk)
        run.status = CanaryRun.Status.FAILED
        run.error = {"code": "INTERNAL_ERROR", "message": type(exc).__name__}
        outcome = AuditEntry.Outcome.FAILED
    else:
        fill = result.simulated_fill or {}
        mark = Decimal(fill.get("markPrice") or 0)
        price = Decimal(fill.get("price") or 0)
        slippage = ((price - mark) / mark * 10000).quantize(Decimal("0.01")) if mark else None
        run.status = CanaryRun.Status.SIMULATED
        run.risk_decision = result.decision
        run.simulated_fill = {
            "clientOrderId": result.order.client_order_id,
            "price": fill.get("price"),
            "qty": fill.get("qty"),
            "notional": fill.get("notional"),
            "fee": fill.get("commission"),
            "feeAsset": fill.get("commissionAsset"),
            "markPrice": fill.get("markPrice"),
            "slippageBps": format(slippage, "f") if slippage is not None else None,
        }
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    run.save()
    _seal(
        run,
        run.status,
        exchangeFilters=_filters_used(run.symbol),
        settings=_settings_that_matter(),
        timings={"simulateMs": elapsed},
    )
    metrics.RUNS.labels(status=run.status).inc()
    record(
        actor=user,
        action="canary.run",
        target=f"canary:{run.pk}",
        payload={
            **req,
            "positionMode": run.position_mode,
            "positionSide": run.position_side,
            "status": run.status,
            "evidenceSha256": run.evidence_sha256,
        },
        outcome=outcome,
    )
    return run


# ----------------------------------------------------------------------------------- confirm


def canary_confirm(*, user, run_id: int, keep_position: bool = False) -> CanaryRun:
    """Place the run's order for real, once, on a testnet only; then close it on its side."""
    require(user, "canary.confirm_canary", action="canary.confirm", target=f"canary:{run_id}")
    pol = policy()
    if not pol["confirmAllowed"]:
        record(
            actor=user,
            action="canary.confirm",
            target=f"canary:{run_id}",
            payload={
                "environment": pol["environment"],
                "exchangeHost": pol["exchangeHost"],
                "reason": "live exchange configured; canary confirms only on a testnet",
            },
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise CanaryLiveRefused(
            gettext_noop(
                "Canary confirmation is allowed only on a testnet (the stand-in, Binance futures "
                "testnet or demo); the configured exchange is %(environment)s."
            ),
            params={"environment": pol["environment"]},
            details={"environment": pol["environment"], "exchangeHost": pol["exchangeHost"]},
        )
    run = CanaryRun.objects.filter(pk=run_id).select_related("started_by").first()
    if run is None:
        raise NotFound(
            gettext_noop("No canary run %(run)s."),
            params={"run": run_id},
            details={"runId": run_id},
        )
    # A trader confirms only the runs they started; an operator may confirm anyone's.
    require_owner(
        user, run.started_by, action="canary.confirm", target=f"canary:{run.pk}", kind="canary run"
    )
    now = timezone.now()
    if run.status == CanaryRun.Status.SIMULATED and run.is_expired(now):
        expired = CanaryRun.objects.filter(
            pk=run.pk, status=CanaryRun.Status.SIMULATED, confirmed_at__isnull=True
        ).update(status=CanaryRun.Status.EXPIRED)
        if expired:
            run.refresh_from_db()
            _seal(run, run.status)
            metrics.RUNS.labels(status=run.status).inc()
        _refuse(user, run, "expired")
        raise CanaryExpired(
            gettext_noop("Canary run %(run)s expired at %(time)s; start a new run."),
            params={"run": run.pk, "time": run.expires_at},
            details={"runId": run.pk, "expiresAt": run.expires_at.isoformat()},
        )
    try:
        # Read now (max_age=0): a switch since the last reading would make the flat check look
        # at the wrong side (equal LONG and SHORT sides sum to a "flat" account).
        mode = position_mode_current(max_age=0)
    except DomainError:
        # The exchange cannot answer now: as for the flat check, the run is claimed and its
        # order, which reads the mode again (forgotten here) and must fit it, fails it with
        # evidence if the mode changed.
        position_mode_forget()
    else:
        _require_same_mode(user, run, mode)
    _require_flat(user, run)
    # Claim the run: compare-and-set, so two confirms (a double click, two tabs) place one order.
    claimed = CanaryRun.objects.filter(
        pk=run.pk, status=CanaryRun.Status.SIMULATED, confirmed_at__isnull=True
    ).update(confirmed_at=now, confirmed_by=user, keep_position=keep_position)
    if not claimed:
        run.refresh_from_db()
        _refuse(user, run, "not confirmable")
        raise CanaryConflict(
            gettext_noop(
                "Canary run %(run)s cannot be confirmed: it is %(status)s and was already "
                "confirmed."
            )
            if run.confirmed_at
            else gettext_noop("Canary run %(run)s cannot be confirmed: it is %(status)s."),
            params={"run": run.pk, "status": run.status},
            details={"runId": run.pk, "status": run.status},
        )
    run.refresh_from_db()
    return _execute(run, user)


def _require_same_mode(user, run: CanaryRun, mode: PositionMode) -> None:
    """Refuse (409, audited, nothing placed) when the mode read now is not the run's.

    The run's side, risk decision and simulated fill were for the mode it read: a run simulated
    one-way would send BOTH to a hedge account, one simulated on LONG would send LONG to a
    one-way account, and its flat check would look at the wrong positions.
    """
    now_mode = _mode_name(mode)
    if now_mode == run.position_mode:
        return
    _refuse(user, run, "position mode changed", runMode=run.position_mode, accountMode=now_mode)
    raise CanaryModeChanged(
        gettext_noop(
            "Canary run %(run)s was simulated on a one-way account, but the Binance account is "
            "in hedge mode now: nothing was sent. Start a new run."
        )
        if now_mode == HEDGE
        else gettext_noop(
            "Canary run %(run)s was simulated on a hedge-mode account, but the Binance account "
            "is in one-way mode now: nothing was sent. Start a new run."
        ),
        params={"run": run.pk},
        details={"runId": run.pk, "runPositionMode": run.position_mode, "positionMode": now_mode},
    )


def _position_amount(symbol: str, position_side: str) -> Decimal:
    """The exchange's own position of symbol on the canary's side (read now, not a snapshot).

    One-way (BOTH): every row of the symbol, the net position. Hedge (LONG or SHORT): that
    side's rows only; the other side is not the canary's and may hold a position.
    """
    rows = client_from_settings().positions(symbol)
    if position_side in (PositionSide.LONG, PositionSide.SHORT):
        rows = [r for r in rows if r.get("positionSide") == position_side]
    return sum(
        (Decimal(str(r.get("positionAmt", "0"))) for r in rows if r.get("symbol") == symbol),
        Decimal(0),
    )


def _require_flat(user, run: CanaryRun) -> None:
    """Refuse unless the account holds no position in the run's symbol on the run's side.

    The canary closes with an order of the filled size: on a one-way account short 0.014 ETH a
    BUY canary would partly close the short and its "close" would not restore it, so the
    trader's position would be left changed; in hedge mode the same holds for a LONG canary on a
    held LONG side. The run stays SIMULATED and can be confirmed once the side is flat.
    """
    try:
        amount = _position_amount(run.symbol, run.position_side)
    except DomainError:
        # The exchange cannot answer now: claim the run and let _execute re-read the position
        # inside its failure handling, so the run ends FAILED with evidence, never unchecked.
        return
    if amount == 0:
        return
    run.refresh_from_db(fields=["status", "confirmed_at"])
    if run.confirmed_at is not None:
        # A concurrent confirm claimed the run and its order is this position: the claim
        # below fails and answers CANARY_CONFLICT, which is the truth (not "not flat").
        return
    _refuse(user, run, "position not flat")
    raise CanaryPositionNotFlat(
        gettext_noop(
            "The account holds %(amount)s %(symbol)s; the canary runs only on a flat account so "
            "that it cannot change an existing position. Close the position and confirm again."
        ),
        params={"amount": amount, "symbol": run.symbol},
        details={"runId": run.pk, "symbol": run.symbol, "positionAmt": format(amount, "f")},
    )


def _refuse(user, run: CanaryRun, why: str, **more) -> None:
    record(
        actor=user,
        action="canary.confirm",
        target=f"canary:{run.pk}",
        payload={"status": run.status, "reason": why, **more},
        outcome=AuditEntry.Outcome.REJECTED,
    )


def _execute(run: CanaryRun, user) -> CanaryRun:
    started = time.perf_counter()
    latency: dict = {}
    confirmation: dict = {"latencyMs": latency}
    outcome = AuditEntry.Outcome.OK
    try:
        # Re-read here too: the read before the claim may have failed, or a position may have
        # opened since (the run then fails instead of changing someone's position).
        held = _position_amount(run.symbol, run.position_side)
        if held != 0:
            raise CanaryPositionNotFlat(
                "The account holds %(held)s %(symbol)s; the canary did not run.",
                params={"held": held, "symbol": run.symbol},
                details={"symbol": run.symbol, "positionAmt": format(held, "f")},
            )
        result = order_place(
            user=user,
            request=OrderRequest(
                symbol=run.symbol,
                side=run.side,
                type="MARKET",
                quantity=run.quantity,
                # order_place holds it to the mode read now: a switch since the check above is
                # refused there (or by the exchange, -4061) and the run fails, nothing filled.
                position_side=run.position_side,
                dry_run=False,
                client_order_id=f"canary-{run.pk}-open",
                source="canary",
            ),
        )
        latency["open"] = round((time.perf_counter() - started) * 1000, 1)
        opened = result.order
        confirmation["open"] = _order_doc(opened)
        confirmation["riskDecision"] = result.decision
        run.exchange_order_id = opened.exchange_order_id
        metrics.CONFIRM_LATENCY_MS.observe(latency["open"])
        run.status = CanaryRun.Status.CONFIRMED
        filled = opened.filled_qty or Decimal(0)
        if not run.keep_position and filled > 0:
            close_started = time.perf_counter()
            # One-way: reduce-only, so the close can never open the other way. Hedge: Binance
            # refuses reduceOnly; a SELL on LONG (a BUY on SHORT) only closes that side.
            hedge = run.position_side != PositionSide.BOTH
            try:
                closed = order_place(
                    user=user,
                    request=OrderRequest(
                        symbol=run.symbol,
                        side="SELL" if run.side == "BUY" else "BUY",
                        type="MARKET",
                        quantity=filled,
                        position_side=run.position_side,
                        reduce_only=not hedge,
                        dry_run=False,
                        client_order_id=f"canary-{run.pk}-close",
                        source="canary",
                    ),
                ).order
                confirmation["close"] = _order_doc(closed)
            except DomainError as exc:
                # The canary promised no exposure left behind: say loudly that it is.
                run.status = CanaryRun.Status.FAILED
                run.error = {
                    "code": exc.code,
                    "message": f"the canary's position was not closed: {exc.message}",
                    "details": exc.details,
                }
                outcome = AuditEntry.Outcome.FAILED
            latency["close"] = round((time.perf_counter() - close_started) * 1000, 1)
        elif not run.keep_position:
            confirmation["close"] = {"skipped": f"the open order is {opened.status}, no fill"}
    except RiskRejected as exc:
        run.status = CanaryRun.Status.REJECTED
        confirmation["riskDecision"] = exc.decision.as_dict() if exc.decision else {}
        run.error = {"code": exc.code, "message": exc.message}
        outcome = AuditEntry.Outcome.REJECTED
    except DomainError as exc:
        run.status = CanaryRun.Status.FAILED
        run.error = {"code": exc.code, "message": exc.message, "details": exc.details}
        outcome = AuditEntry.Outcome.FAILED
    except Exception as exc:
        logger.exception("canary confirm of run %s failed", run.pk)
        run.status = CanaryRun.Status.FAILED
        run.error = {"code": "INTERNAL_ERROR", "message": type(exc).__name__}
        outcome = AuditEntry.Outcome.FAILED
    latency["total"] = round((time.perf_counter() - started) * 1000, 1)
    run.confirmation = confirmation
    with transaction.atomic():
        CanaryRun.objects.filter(pk=run.pk).update(
            status=run.status,
            confirmation=run.confirmation,
            exchange_order_id=run.exchange_order_id,
            error=run.error,
        )
    _seal(run, run.status, timings={**(run.evidence or {}).get("timings", {}), "confirm": latency})
    metrics.RUNS.labels(status=run.status).inc()
    record(
        actor=user,
        action="canary.confirm",
        target=f"canary:{run.pk}",
        payload={
            "status": run.status,
            "exchangeOrderId": run.exchange_order_id,
            "keepPosition": run.keep_position,
            "evidenceSha256": run.evidence_sha256,
            "owner": owner_name(run.started_by),
        },
        outcome=outcome,
    )
    return run


# ------------------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class CanaryStatus:
    """The policy in force and the latest runs, newest first (canary/schemas.py shapes them
    for the API and the canary page)."""

    policy: dict
    runs: list[CanaryRun]
    now: datetime  # when the status was read: a run's confirm window is judged at this time


def canary_status(*, limit: int = 20) -> CanaryStatus:
    now = timezone.now()
    runs = CanaryRun.objects.select_related("confirmed_by").order_by("-id")[:limit]
    return CanaryStatus(policy=policy(), runs=list(runs), now=now)


def run_get(run_id: int) -> CanaryRun:
    run = CanaryRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(
            gettext_noop("No canary run %(run)s."),
            params={"run": run_id},
            details={"runId": run_id},
        )
    return run
