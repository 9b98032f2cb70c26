"""The WebSocket API (`/ws-fapi/v1`): Binance's request/response trading over one socket.

Each method runs the same function as its REST twin (rest.py, trading_ext.py), so both
transports place, refuse and report orders identically; each request is charged its REST
twin's weight in the same per-IP limiter and passes the same fault knobs. Requests on one
socket are answered in the order they arrive.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from simexchange import rest
from simexchange.accounts import Account
from simexchange.auth import API_KEY_RE, bad_signature, check_timing, is_ed25519, signature_ok
from simexchange.core import SIM_KEY, Sim
from simexchange.errors import UNKNOWN_EXECUTION_MSG, BinanceError, malformed, mandatory
from simexchange.limits import order_counts
from simexchange.rest import Params, account_body
from simexchange.trading_ext import modify_one
from simexchange.wsconn import Conn, dumps

log = logging.getLogger("simexchange")

PATH = "/ws-fapi/v1"
CONNS: web.AppKey[set[Conn]] = web.AppKey("ws_api_conns", set)
ORDER_LIMITS = ((10, "SECOND", 300), (1, "MINUTE", 1200))  # as exchangeInfo's rateLimits


@dataclass
class Session:
    """One WebSocket API connection: the key logged on (Ed25519 keys only) and its options."""

    sim: Sim
    conn: Conn
    ip: str
    connected_since: int
    return_rate_limits: bool = True
    api_key: str | None = None  # set by session.logon
    authorized_since: int | None = None
    user_stream_key: str | None = None  # API key whose listen key this socket started


@dataclass(frozen=True)
class Method:
    security: str  # NONE | USER_STREAM (API key only) | SIGNED | LOGON (signed, never by session)
    twin: tuple[str, str] | int  # REST call whose weight is charged, or a fixed weight
    run: Callable[[Session, Params, str | None], object]
    orders: bool = False  # the answer reports the ORDERS rate limits


def _acc(s: Session, key: str | None) -> Account:
    assert key is not None  # SIGNED / USER_STREAM methods always have one
    return s.sim.account(key)


def _session_status(s: Session, p: Params, key: str | None) -> dict:
    return {
        "apiKey": s.api_key,
        "authorizedSince": s.authorized_since,
        "connectedSince": s.connected_since,
        "returnRateLimits": s.return_rate_limits,
        "serverTime": s.sim.server_ms(),
        "userDataStream": bool(s.user_stream_key and s.sim.users.key_of(s.user_stream_key)),
    }


def _session_logon(s: Session, p: Params, key: str | None) -> dict:
    assert key is not None
    # Binance logs on Ed25519 keys only; an HMAC key's signature never verifies as Ed25519,
    # so Binance answers -1022 for it, and so does the stand-in.
    if not is_ed25519(s.sim.keys[key]):
        raise bad_signature()
    s.api_key, s.authorized_since = key, s.sim.server_ms()
    return _session_status(s, p, key)


def _session_logout(s: Session, p: Params, key: str | None) -> dict:
    s.api_key = s.authorized_since = None
    return _session_status(s, p, key)


def _stream_start(s: Session, p: Params, key: str | None) -> dict:
    assert key is not None
    s.user_stream_key = key
    return {"listenKey": s.sim.users.create(key)}


def _stream_ping(s: Session, p: Params, key: str | None) -> dict:
    assert key is not None
    return {"listenKey": s.sim.users.keepalive(key, p.text("listenKey"))}


def _stream_stop(s: Session, p: Params, key: str | None) -> dict:
    assert key is not None
    s.sim.users.close_key(key, p.text("listenKey"))
    return {}


METHODS: dict[str, Method] = {
    "order.place": Method(
        "SIGNED",
        ("POST", "/fapi/v1/order"),
        lambda s, p, k: rest.place_order_from(s.sim, _acc(s, k), p),
        orders=True,
    ),
    "order.modify": Method(
        "SIGNED",
        ("PUT", "/fapi/v1/order"),
        lambda s, p, k: modify_one(s.sim, _acc(s, k), p),
        orders=True,
    ),
    "order.cancel": Method(
        "SIGNED",
        ("DELETE", "/fapi/v1/order"),
        lambda s, p, k: rest.cancel_order_from(s.sim, _acc(s, k), p),
        orders=True,
    ),
    "order.status": Method(
        "SIGNED", ("GET", "/fapi/v1/order"), lambda s, p, k: rest.query_order_from(_acc(s, k), p)
    ),
    "algoOrder.place": Method(
        "SIGNED",
        ("POST", "/fapi/v1/algoOrder"),
        lambda s, p, k: rest.place_algo_from(s.sim, _acc(s, k), p),
        orders=True,
    ),
    "algoOrder.cancel": Method(
        "SIGNED",
        ("DELETE", "/fapi/v1/algoOrder"),
        lambda s, p, k: rest.cancel_algo_from(s.sim, _acc(s, k), p),
    ),
    "account.status": Method(
        "SIGNED",
        ("GET", "/fapi/v2/account"),
        lambda s, p, k: account_body(s.sim, _acc(s, k), 2),
    ),
    "v2/account.status": Method(
        "SIGNED",
        ("GET", "/fapi/v3/account"),
        lambda s, p, k: account_body(s.sim, _acc(s, k), 3),
    ),
    "account.balance": Method(
        "SIGNED",
        ("GET", "/fapi/v2/balance"),
        lambda s, p, k: rest.balance_rows(s.sim, _acc(s, k)),
    ),
    "v2/account.balance": Method(
        "SIGNED",
        ("GET", "/fapi/v3/balance"),
        lambda s, p, k: rest.balance_rows(s.sim, _acc(s, k)),
    ),
    "account.position": Method(
        "SIGNED",
        ("GET", "/fapi/v2/positionRisk"),
        lambda s, p, k: rest.position_rows(s.sim, _acc(s, k), p, 2),
    ),
    "v2/account.position": Method(
        "SIGNED",
        ("GET", "/fapi/v3/positionRisk"),
        lambda s, p, k: rest.position_rows(s.sim, _acc(s, k), p, 3),
    ),
    "ticker.price": Method(
        "NONE", ("GET", "/fapi/v1/ticker/price"), lambda s, p, k: rest.ticker_price_body(s.sim, p)
    ),
    "ticker.book": Method(
        "NONE",
        ("GET", "/fapi/v1/ticker/bookTicker"),
        lambda s, p, k: rest.book_ticker_body(s.sim, p),
    ),
    "depth": Method("NONE", ("GET", "/fapi/v1/depth"), lambda s, p, k: rest.depth_body(s.sim, p)),
    "userDataStream.start": Method("USER_STREAM", ("POST", "/fapi/v1/listenKey"), _stream_start),
    "userDataStream.ping": Method("USER_STREAM", ("PUT", "/fapi/v1/listenKey"), _stream_ping),
    "userDataStream.stop": Method("USER_STREAM", ("DELETE", "/fapi/v1/listenKey"), _stream_stop),
    "session.logon": Method("LOGON", 2, _session_logon),
    "session.status": Method("NONE", 2, _session_status),
    "session.logout": Method("NONE", 2, _session_logout),
}


def _as_text(name: str, value: object) -> str | None:
    """A JSON parameter as the string Binance reads and signs (true/false, digits as sent)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise malformed(name)  # objects and lists are not parameters


def _weight(twin: tuple[str, str] | int, params: dict[str, str]) -> int:
    if isinstance(twin, int):
        return twin
    from simexchange.app import WEIGHTS  # noqa: PLC0415 - app imports this module

    w = WEIGHTS.get(twin, 1)
    return w(params) if callable(w) else w


def _api_key(sim: Sim, params: dict[str, str], ip: str) -> str:
    key = params.get("apiKey", "")
    if not key:
        raise mandatory("apiKey")
    if not API_KEY_RE.match(key):
        raise BinanceError(-2014, "API-key format invalid.", status=401)
    if key not in sim.keys:
        raise BinanceError(
            -2015, f"Invalid API-key, IP, or permissions for action, request ip: {ip}", status=401
        )
    return key


def _verify(sim: Sim, params: dict[str, str], ip: str) -> str:
    """Binance's WS API signing: the params but `signature`, sorted by name, as k=v&k=v."""
    key = _api_key(sim, params, ip)
    sig = params.get("signature")
    check_timing(params, sig, sim.server_ms())
    assert sig is not None
    rest_of = sorted((k, v) for k, v in params.items() if k != "signature")
    secret = sim.keys[key]
    # Binance's docs join the raw values; its SDKs url-encode them (equal unless a value holds
    # a reserved character): both forms are accepted.
    forms = {"&".join(f"{k}={v}" for k, v in rest_of), urlencode(rest_of)}
    if not any(signature_ok(secret, f, sig) for f in forms):
        raise bad_signature()
    return key


def _authenticate(s: Session, method: Method, params: dict[str, str]) -> str | None:
    """The request's API key: its own apiKey/signature if sent, else the logged-on session's."""
    by_session = s.api_key is not None and "apiKey" not in params and "signature" not in params
    if method.security == "LOGON" or (method.security == "SIGNED" and not by_session):
        return _verify(s.sim, params, s.ip)
    if method.security == "SIGNED":
        check_timing(params, None, s.sim.server_ms(), need_signature=False)
        return s.api_key
    if method.security == "USER_STREAM":
        return s.api_key if by_session else _api_key(s.sim, params, s.ip)
    return None


def _rate_limits(s: Session, method: Method, key: str | None) -> list[dict]:
    now = s.sim.server_ms()
    limits = [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": s.sim.settings.weight_limit,
            "count": s.sim.limiter.used(s.ip, "fapi", now),
        }
    ]
    if method.orders and key is not None:
        ten, minute = order_counts(s.sim.account(key).order_times, now)
        for (num, interval, limit), count in zip(ORDER_LIMITS, (ten, minute), strict=True):
            limits.append(
                {
                    "rateLimitType": "ORDERS",
                    "interval": interval,
                    "intervalNum": num,
                    "limit": limit,
                    "count": count,
                }
            )
    return limits


def _error(req_id: object, exc: BinanceError, now: int) -> dict:
    body: dict = {"id": req_id, "status": exc.status, "error": exc.body()}
    retry = exc.headers.get("Retry-After")
    if retry:
        body["error"]["data"] = {"serverTime": now, "retryAfter": now + int(retry) * 1000}
    return body


async def answer(s: Session, text: str) -> dict:
    """One request frame in, one response object out (never raises)."""
    sim = s.sim
    try:
        req = json.loads(text, parse_float=str)
    except ValueError:
        return _error(None, BinanceError(-1135, "Invalid JSON request."), sim.server_ms())
    if not isinstance(req, dict):
        return _error(None, BinanceError(-1135, "Invalid JSON request."), sim.server_ms())
    req_id = req.get("id")
    raw = req.get("params")
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        msg = "Invalid 'params' in JSON request; expected an object."
        return _error(req_id, BinanceError(-1135, msg), sim.server_ms())
    name = req.get("method")
    method = METHODS.get(name) if isinstance(name, str) else None
    if method is None:
        return _error(req_id, BinanceError(-1020, "Unsupported operation."), sim.server_ms())
    sim.counters["requests"] += 1
    key: str | None = None
    return_rl = s.return_rate_limits
    try:
        params = {}
        for name, value in raw.items():
            text_value = _as_text(name, value)
            if text_value is not None:
                params[str(name)] = text_value
        if "returnRateLimits" in params:
            return_rl = params["returnRateLimits"] != "false"
        if sim.faults.latency_ms:
            await asyncio.sleep(sim.faults.latency_ms / 1000)
        sim.faults.before_request()
        sim.limiter.charge(s.ip, "fapi", _weight(method.twin, params), sim.server_ms())
        key = _authenticate(s, method, params)
        result = method.run(s, Params(params), key)
        body: dict = {"id": req_id, "status": 200, "result": result}
    except BinanceError as exc:
        body = _error(req_id, exc, sim.server_ms())
    except Exception:
        log.exception("unhandled error in WebSocket API method %s", req.get("method"))
        exc = BinanceError(-1000, "An unknown error occured while processing the request.", 500)
        body = _error(req_id, exc, sim.server_ms())
    try:
        # durable before the answer leaves, as on REST: an acknowledged order survives a kill
        sim.store.commit(force=isinstance(method.twin, tuple) and method.twin[0] != "GET")
    except OSError:
        log.exception("journal write failed on WebSocket API method %s", req.get("method"))
        body = _error(req_id, BinanceError(-1000, UNKNOWN_EXECUTION_MSG, 503), sim.server_ms())
    if return_rl:
        body["rateLimits"] = _rate_limits(s, method, key)
    return body


class ApiConn(Conn):
    """A WebSocket API socket: the streams' 10 frames/s cap does not apply (weights do)."""

    def over_rate(self) -> bool:
        return False


async def handler(request: web.Request) -> web.StreamResponse:
    """GET /ws-fapi/v1: answer each JSON request frame in arrival order."""
    sim = request.app[SIM_KEY]
    ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
    await ws.prepare(request)
    conn = ApiConn(sim, ws, "api", combined=False)
    session = Session(
        sim,
        conn,
        request.remote or "127.0.0.1",
        sim.server_ms(),
        return_rate_limits=request.query.get("returnRateLimits", "true").lower() != "false",
    )
    inbox: asyncio.Queue[str] = asyncio.Queue()

    async def work() -> None:
        while True:
            text = await inbox.get()
            conn.send(dumps(await answer(session, text)))

    worker = asyncio.ensure_future(work())
    request.app[CONNS].add(conn)
    try:
        await conn.serve(lambda _c, text: inbox.put_nowait(text))
    finally:
        worker.cancel()
        request.app[CONNS].discard(conn)
    return ws


async def close_all(app: web.Application) -> None:
    for conn in list(app[CONNS]):
        await conn.close(1001, "server stopping")


def install(app: web.Application) -> None:
    app[CONNS] = set()
    app.router.add_get(PATH, handler)
    app.on_shutdown.append(close_all)
