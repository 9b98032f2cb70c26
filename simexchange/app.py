"""The aiohttp application: routes, Binance's error rendering, weights, faults, lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import parse_qsl

from aiohttp import web

from simexchange import (
    account_ext,
    btcturk,
    control,
    funding_api,
    futures_data,
    hedge,
    marketdata_ext,
    position_margin,
    rest,
    spot,
    tape,
    trading_ext,
    wsapi,
)
from simexchange.config import Settings
from simexchange.core import SIM_KEY, Sim
from simexchange.errors import BinanceError
from simexchange.streams import ws_handler

log = logging.getLogger("simexchange")

LOST_ANSWER = "Unknown error, please check your request or try again later."
WS_PREFIXES = ("/ws", "/stream", "/public/", "/market/", "/private/")


def _by_symbol(with_symbol: int, without: int) -> Callable[[dict], int]:
    return lambda q: with_symbol if q.get("symbol") else without


def _klines_weight(q: dict) -> int:
    raw_limit = q.get("limit", "500")
    limit = int(raw_limit) if raw_limit.isascii() and raw_limit.isdigit() else 500
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def _depth_weight(q: dict) -> int:
    raw_limit = q.get("limit", "500")
    limit = int(raw_limit) if raw_limit.isascii() and raw_limit.isdigit() else 500
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


WEIGHTS: dict[tuple[str, str], int | Callable[[dict], int]] = {
    ("GET", "/fapi/v1/depth"): _depth_weight,
    ("GET", "/fapi/v1/klines"): _klines_weight,
    ("GET", "/fapi/v1/ticker/24hr"): _by_symbol(1, 40),
    ("GET", "/fapi/v1/ticker/price"): _by_symbol(1, 2),
    ("GET", "/fapi/v2/ticker/price"): _by_symbol(1, 2),
    ("GET", "/fapi/v1/ticker/bookTicker"): _by_symbol(2, 5),
    ("GET", "/fapi/v1/premiumIndex"): _by_symbol(1, 10),
    ("GET", "/fapi/v1/openOrders"): _by_symbol(1, 40),
    ("GET", "/fapi/v1/openAlgoOrders"): _by_symbol(1, 40),
    ("GET", "/fapi/v2/account"): 5,
    ("GET", "/fapi/v3/account"): 5,
    ("GET", "/fapi/v2/balance"): 5,
    ("GET", "/fapi/v3/balance"): 5,
    ("GET", "/fapi/v2/positionRisk"): 5,
    ("GET", "/fapi/v3/positionRisk"): 5,
    ("GET", "/fapi/v1/userTrades"): 5,
    ("GET", "/fapi/v1/allOrders"): 5,
    ("GET", "/fapi/v1/symbolConfig"): 5,
    ("GET", "/fapi/v1/positionSide/dual"): 30,
    ("GET", "/fapi/v1/markPriceKlines"): _klines_weight,
    ("GET", "/fapi/v1/indexPriceKlines"): _klines_weight,
    ("GET", "/fapi/v1/premiumIndexKlines"): _klines_weight,
    ("GET", "/fapi/v1/continuousKlines"): _klines_weight,
    ("GET", "/fapi/v1/apiTradingStatus"): _by_symbol(1, 10),
    ("GET", "/fapi/v1/forceOrders"): _by_symbol(20, 50),
    ("GET", "/fapi/v1/adlQuantile"): 5,
    ("GET", "/fapi/v1/multiAssetsMargin"): 30,
    ("GET", "/fapi/v1/income"): 30,
    ("GET", "/fapi/v1/commissionRate"): 20,
    ("POST", "/fapi/v1/order"): 0,
    ("PUT", "/fapi/v1/order"): 0,
    ("POST", "/fapi/v1/batchOrders"): 5,
    ("PUT", "/fapi/v1/batchOrders"): 5,
    ("POST", "/fapi/v1/countdownCancelAll"): 10,
    ("GET", "/fapi/v1/trades"): 5,
    ("GET", "/fapi/v1/historicalTrades"): 20,
    ("GET", "/fapi/v1/aggTrades"): 20,
    ("POST", "/fapi/v1/algoOrder"): 0,
    ("GET", "/api/v3/account"): 20,
    ("GET", "/api/v3/ticker/price"): lambda q: 2 if q.get("symbol") else 4,
}


def weight_of(request: web.Request) -> int:
    w = WEIGHTS.get((request.method, request.path), 1)
    if callable(w):
        return w(dict(parse_qsl(request.rel_url.raw_query_string)))
    return w


def family_of(path: str) -> str | None:
    if path.startswith("/fapi/"):
        return "fapi"
    if path.startswith("/api/v3/"):
        return "api"
    return None


def _json_error(status: int, code: int, msg: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)


@web.middleware
async def binance_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Faults, weight accounting and Binance's error shape for every non-control HTTP call."""
    sim: Sim = request.app[SIM_KEY]
    path = request.path
    if path.startswith("/_sim/"):
        if request.remote not in ("127.0.0.1", "::1", None):
            return _json_error(403, -1000, "The control surface answers loopback clients only.")
        try:
            return await handler(request)
        finally:
            sim.store.commit(force=request.method != "GET")
    if path.startswith(WS_PREFIXES) and request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)
    sim.counters["requests"] += 1
    family = family_of(path)
    ip = request.remote or "127.0.0.1"
    try:
        try:
            if sim.faults.latency_ms:
                await asyncio.sleep(sim.faults.latency_ms / 1000)
            sim.faults.before_request()
            if family:
                sim.limiter.charge(ip, family, weight_of(request), sim.server_ms())
            resp = await handler(request)
        except BinanceError as exc:
            resp = web.json_response(exc.body(), status=exc.status, headers=exc.headers)
        except web.HTTPNotFound:
            resp = _json_error(404, -1000, f"Not found: {request.method} {path}")
        except web.HTTPMethodNotAllowed:
            resp = _json_error(405, -1000, f"Method not allowed: {request.method} {path}")
        except web.HTTPException as exc:
            if exc.text and exc.text.startswith("{"):
                raise
            resp = _json_error(exc.status, -1000, exc.reason)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, path)
        resp = _json_error(500, -1000, "An unknown error occured while processing the request.")
    try:
        # durable before the answer leaves: an acknowledged order survives a kill right after
        sim.store.commit(force=request.method != "GET")
    except OSError:
        log.exception("journal write failed on %s %s", request.method, path)
        resp = _json_error(503, -1000, LOST_ANSWER)
    if family:
        resp.headers["X-MBX-USED-WEIGHT-1M"] = str(sim.limiter.used(ip, family, sim.server_ms()))
    return resp


def build_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[binance_middleware])
    sim = Sim(settings)
    app[SIM_KEY] = sim
    app.add_routes(rest.routes)
    app.add_routes(account_ext.routes)
    app.add_routes(hedge.routes)
    app.add_routes(position_margin.routes)
    app.add_routes(marketdata_ext.routes)
    app.add_routes(trading_ext.routes)
    app.add_routes(tape.routes)
    app.add_routes(futures_data.routes)
    app.add_routes(funding_api.routes)
    app.add_routes(spot.routes)
    app.add_routes(btcturk.routes)
    app.add_routes(control.routes)
    wsapi.install(app)
    for path in (
        "/ws",
        "/ws/{tail:.*}",
        "/stream",
        "/stream/{tail:.*}",
        "/{route:public|market|private}/ws",
        "/{route:public|market|private}/ws/{tail:.*}",
        "/{route:public|market|private}/stream",
        "/{route:public|market|private}/stream/{tail:.*}",
    ):
        app.router.add_get(path, ws_handler)
    app.on_startup.append(sim.start)
    app.on_shutdown.append(sim.stop)
    return app
