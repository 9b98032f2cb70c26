"""The /_sim/ control surface (loopback only): prices, feed, clock, balances, faults, state."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from simexchange.accounts import account_to_json
from simexchange.core import SIM_KEY, Sim
from simexchange.errors import BinanceError
from simexchange.market import SYMBOLS

routes = web.RouteTableDef()


class ControlError(Exception):
    pass


def _bad(msg: str) -> web.Response:
    return web.json_response({"error": msg}, status=400)


async def json_body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise ControlError(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def control_decimal(value: object, what: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ControlError(f"{what}: not a number: {value!r}") from exc
    if not d.is_finite():
        raise ControlError(f"{what}: not finite")
    return d


def control_symbol(data: dict) -> str:
    sym = str(data.get("symbol", "")).upper()
    if sym not in SYMBOLS:
        raise ControlError(f"unknown symbol {sym!r}; known: {sorted(SYMBOLS)}")
    return sym


def handler(fn):
    """Render ControlError (and Binance errors) as 400 JSON."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request, request.app[SIM_KEY])
        except ControlError as exc:
            return _bad(str(exc))
        except BinanceError as exc:
            return _bad(exc.msg)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


@routes.post("/_sim/price")
@handler
async def price(request: web.Request, sim: Sim) -> web.Response:
    """Set last (and mark, or `mark` if given) and run matching and triggers now."""
    data = await json_body(request)
    sym = control_symbol(data)
    p = control_decimal(data.get("price"), "price")
    mark = control_decimal(data["mark"], "mark") if data.get("mark") is not None else None
    if p <= 0 or (mark is not None and mark <= 0):
        raise ControlError("prices must be positive")
    sim.set_price(sym, p, mark)
    st = sim.markets[sym]
    return web.json_response({"symbol": sym, "price": f"{st.last:f}", "mark": f"{st.mark:f}"})


@routes.post("/_sim/price_path")
@handler
async def price_path(request: web.Request, sim: Sim) -> web.Response:
    """Play a list of prices, one every interval_ms (default 100)."""
    data = await json_body(request)
    sym = control_symbol(data)
    prices = data.get("prices")
    if not isinstance(prices, list) or not prices:
        raise ControlError("prices must be a non-empty list")
    values = [control_decimal(p, "prices[]") for p in prices]
    if any(v <= 0 for v in values):
        raise ControlError("prices must be positive")
    interval = data.get("interval_ms", 100)
    if not isinstance(interval, int) or interval < 0:
        raise ControlError("interval_ms must be a non-negative integer")
    sim.start_path(sym, values, interval)
    return web.json_response({"symbol": sym, "steps": len(values), "interval_ms": interval})


@routes.post("/_sim/feed")
@handler
async def feed(request: web.Request, sim: Sim) -> web.Response:
    """Pause or resume the random walk."""
    data = await json_body(request)
    running = data.get("running")
    if not isinstance(running, bool):
        raise ControlError("running must be true or false")
    sim.feed_running = running
    return web.json_response({"running": running})


@routes.post("/_sim/clock")
@handler
async def clock(request: web.Request, sim: Sim) -> web.Response:
    """Step the server clock by offset_ms (cumulative; negative goes back); freeze or thaw it.

    {"freeze": true} stops the clock where it is ({"at_ms": T} puts it at server time T first);
    it then moves only by offset_ms steps. {"freeze": false} lets it run with the wall again.
    """
    data = await json_body(request)
    step = data.get("offset_ms", 0)
    if not isinstance(step, int) or isinstance(step, bool):
        raise ControlError("offset_ms must be an integer")
    freeze = data.get("freeze")
    if freeze is not None and not isinstance(freeze, bool):
        raise ControlError("freeze must be true or false")
    at_ms = data.get("at_ms")
    if at_ms is not None and (not isinstance(at_ms, int) or isinstance(at_ms, bool) or at_ms < 0):
        raise ControlError("at_ms must be a non-negative integer")
    if at_ms is not None and freeze is not True:
        raise ControlError("at_ms needs freeze: true")
    if freeze is True:
        now = sim.server_ms()
        target = now if at_ms is None else at_ms
        # frozen base + offset + skew == target
        sim.frozen_at_ms = target - sim.clock_offset_ms - sim.faults.clock_skew_ms
    elif freeze is False:
        sim.frozen_at_ms = None
    sim.clock_offset_ms += step
    sim.users.expire_due()
    sim.countdowns.expire_due()
    sim.funding.settle_due()
    return web.json_response(
        {
            "clock_offset_ms": sim.clock_offset_ms,
            "frozen": sim.frozen_at_ms is not None,
            "serverTime": sim.server_ms(),
        }
    )


@routes.post("/_sim/reset")
@handler
async def reset(request: web.Request, sim: Sim) -> web.Response:
    """All accounts back to their starting balances; faults, rate limits and clock cleared."""
    for acc in sim.accounts.values():
        for order in acc.open_orders():
            sim.engine.cancel_order(acc, order)
    sim.reset_accounts()
    sim.faults.clear()
    sim.limiter.reset()
    sim.clock_offset_ms = 0
    sim.frozen_at_ms = None
    sim.countdowns.clear()
    sim.funding.reset()
    sim.store.mark_dirty()
    return web.json_response({"reset": True})


def _amounts(data: object, what: str) -> dict[str, Decimal]:
    if not isinstance(data, dict):
        raise ControlError(f"{what} must be an object {{ASSET: amount}}")
    out = {str(k).upper(): control_decimal(v, f"{what}.{k}") for k, v in data.items()}
    if any(v < 0 for v in out.values()):
        raise ControlError(f"{what}: amounts must be >= 0")
    return out


@routes.post("/_sim/balances")
@handler
async def balances(request: web.Request, sim: Sim) -> web.Response:
    """Set futures USDT wallet, Spot and BTCTurk balances (replacing the named assets)."""
    data = await json_body(request)
    key = data.get("api_key")
    if key is not None and key not in sim.accounts:
        raise ControlError(f"unknown api_key {key!r}")
    accounts = [sim.accounts[key]] if key else list(sim.accounts.values())
    futures = _amounts(data["futures"], "futures") if "futures" in data else None
    spot_bal = _amounts(data["spot"], "spot") if "spot" in data else None
    if futures and set(futures) - {"USDT"}:
        raise ControlError("futures balances: only USDT is a margin asset here")
    for acc in accounts:
        if futures:
            sim.funding.transfer(acc, futures["USDT"] - acc.wallet)
            acc.wallet = futures["USDT"]
            sim.engine.account_event(acc, "ADJUSTMENT")
        if spot_bal is not None:
            acc.spot.update(spot_bal)
    if "btcturk" in data:
        bt = _amounts(data["btcturk"], "btcturk")
        pub = data.get("btcturk_key")
        if pub is not None and pub not in sim.btcturk:
            raise ControlError(f"unknown btcturk_key {pub!r}")
        for p in [pub] if pub else list(sim.btcturk):
            sim.btcturk[p]["balances"].update(bt)
    sim.store.mark_dirty()
    return web.json_response({"ok": True})


@routes.get("/_sim/state")
@handler
async def state(request: web.Request, sim: Sim) -> web.Response:
    """Everything: accounts (orders, positions, balances), prices, faults, counters."""
    marks = sim.engine.marks()
    accounts = {}
    for key, acc in sim.accounts.items():
        data = account_to_json(acc)
        data["summary"] = {k: f"{v:f}" for k, v in acc.summary(marks).items()}
        data["open_orders"] = [o.to_api(with_time=True) for o in acc.open_orders()]
        data["open_algo_orders"] = [a.to_api() for a in acc.open_algos()]
        accounts[key] = data
    return web.json_response(
        {
            "server_time": sim.server_ms(),
            "clock_offset_ms": sim.clock_offset_ms,
            "clock_frozen": sim.frozen_at_ms is not None,
            "feed_running": sim.feed_running,
            "prices": {
                s: {"last": f"{m.last:f}", "mark": f"{m.mark:f}"} for s, m in sim.markets.items()
            },
            "accounts": accounts,
            "btcturk": {
                p: {k: f"{v:f}" for k, v in d["balances"].items()} for p, d in sim.btcturk.items()
            },
            "listen_keys": sim.users.to_json(),
            "faults": sim.faults.to_json(),
            "counters": dict(sim.counters),
        }
    )


@routes.get("/_sim/counters")
@handler
async def counters(request: web.Request, sim: Sim) -> web.Response:
    """The request, order and WebSocket message counters alone (cheap enough to poll)."""
    return web.json_response(dict(sim.counters))


@routes.get("/_sim/faults")
@handler
async def faults_get(request: web.Request, sim: Sim) -> web.Response:
    return web.json_response(sim.faults.to_json())


@routes.post("/_sim/faults")
@handler
async def faults_set(request: web.Request, sim: Sim) -> web.Response:
    """Set any fault knobs given; `expire_listen_keys: true` acts at once."""
    data = await json_body(request)
    f = sim.faults
    unknown = set(data) - set(f.KNOBS) - {"expire_listen_keys"}
    if unknown:
        raise ControlError(f"unknown knobs {sorted(unknown)}; known: {list(f.KNOBS)}")
    for name in f.KNOBS:
        if name not in data:
            continue
        value = data[name]
        if name == "error_rate":
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ControlError("error_rate must be a number in [0, 1]")
            f.error_rate = float(value)
        else:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ControlError(f"{name} must be an integer")
            if name != "clock_skew_ms" and value < 0:
                raise ControlError(f"{name} must be >= 0")
            setattr(f, name, value)
    if "ws_cut_after" in data:
        f.ws_cut_generation += 1
    if data.get("ws_refuse"):
        sim.cut_stream_sockets()
    expired = 0
    if data.get("expire_listen_keys"):
        expired = sim.users.expire_all()
    return web.json_response({**f.to_json(), "expired_listen_keys": expired})


@routes.delete("/_sim/faults")
@handler
async def faults_clear(request: web.Request, sim: Sim) -> web.Response:
    sim.faults.clear()
    return web.json_response(sim.faults.to_json())
