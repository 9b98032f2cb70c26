"""Market streams and the WebSocket routes (routed /public /market /private and unrouted).

Every route delivers every stream (the testnet's legacy behaviour), so clients written for
either URL scheme work. Payloads are built once per tick and shared by all subscribers.
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from aiohttp import web

from simexchange.accounts import money
from simexchange.funding import rate_str
from simexchange.market import INTERVAL_MS, SymbolState
from simexchange.wsconn import MAX_STREAMS, Conn, dumps

if TYPE_CHECKING:
    from simexchange.core import Sim

STREAM_RE = re.compile(
    r"^(?P<sym>[a-z0-9]+)@(?P<kind>aggTrade|trade|bookTicker|ticker|miniTicker|markPrice"
    r"|depth(?:5|10|20)?|kline_(?:1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M))"
    r"(?:@(?P<speed>100ms|250ms|500ms|1s))?$"
)
ALL_RE = re.compile(r"^!(markPrice@arr(@1s)?|ticker@arr|miniTicker@arr|bookTicker|forceOrder@arr)$")
# `<pair>_<contractType>@continuousKline_<interval>`: the pair's perpetual is its one symbol;
# quarterlies are not listed, so their streams subscribe and stay silent
CONTINUOUS_RE = re.compile(
    r"^(?P<pair>[a-z0-9]+)_(?P<ct>perpetual|current_quarter|next_quarter)"
    r"@continuousKline_(?P<interval>1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M)$"
)
# liquidation orders are pushed as they happen (the stand-in's own force-closes)
FORCE_RE = re.compile(r"^(?P<sym>[a-z0-9]+)@forceOrder$")


def valid_stream(name: str) -> bool:
    return bool(
        STREAM_RE.match(name)
        or ALL_RE.match(name)
        or CONTINUOUS_RE.match(name)
        or FORCE_RE.match(name)
    )


def period_ms(name: str, tick_ms: int) -> int:
    """How often a stream pushes (0 = every trade as it happens)."""
    if name.endswith(("@aggTrade", "@trade", "@forceOrder", "!forceOrder@arr")):
        return 0
    if "@markPrice" in name:
        return 1000 if name.endswith("@1s") else 3000
    if "@ticker" in name or "@miniTicker" in name:
        return 1000 if name.startswith("!") else 2000
    if name.endswith("@500ms"):
        return 500
    if name.endswith("@100ms"):
        return 100
    return 250 if "@depth" in name or "@kline" in name or "Kline_" in name else tick_ms


class MarketHub:
    def __init__(self, sim: Sim):
        self.sim = sim
        self.subs: dict[str, set[Conn]] = {}
        self.last_push: dict[str, float] = {}
        self.kline_open: dict[str, int] = {}  # kline stream -> open time of the bar last sent
        self._stats_cache: dict[str, tuple[float, dict]] = {}

    # ------------------------------------------------------------ subscriptions

    def subscribe(self, conn: Conn, names: list[str]) -> None:
        for n in names:
            if n not in conn.streams:
                conn.streams.append(n)
            self.subs.setdefault(n, set()).add(conn)

    def unsubscribe(self, conn: Conn, names: list[str]) -> None:
        for n in names:
            if n in conn.streams:
                conn.streams.remove(n)
            s = self.subs.get(n)
            if s:
                s.discard(conn)
                if not s:
                    del self.subs[n]
                    self.kline_open.pop(n, None)

    def detach(self, conn: Conn) -> None:
        self.unsubscribe(conn, list(conn.streams))

    def connections(self) -> set[Conn]:
        return {c for s in self.subs.values() for c in s}

    async def close_all(self) -> None:
        conns = {c for s in self.subs.values() for c in s}
        for c in conns:
            await c.close(1001, "server stopping")

    # ------------------------------------------------------------ pushes

    def _push(self, name: str, payload: dict) -> None:
        conns = self.subs.get(name)
        if not conns:
            return
        raw = combined = None
        for c in list(conns):
            if c.combined:
                if combined is None:
                    combined = dumps({"stream": name, "data": payload})
                c.send(combined)
            else:
                if raw is None:
                    raw = dumps(payload)
                c.send(raw)

    def trade(self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool) -> None:
        sym = symbol.lower()
        for kind in ("aggTrade", "trade"):
            name = f"{sym}@{kind}"
            if name in self.subs:
                self._push(name, self.trade_payload(symbol, kind))

    def on_tick(self) -> None:
        if not self.subs:
            return
        now = time.monotonic()
        tick = self.sim.settings.tick_ms
        for name in list(self.subs):
            per = period_ms(name, tick)
            if per == 0:
                continue
            if (now - self.last_push.get(name, 0.0)) * 1000 < per - tick / 2:
                continue
            if name == "!bookTicker":
                self.last_push[name] = now
                for st in self.sim.markets.values():
                    self._push(name, self.book_ticker(st))
                continue
            if "@kline_" in name or "@continuousKline_" in name:
                self._push_kline_close(name)
            payload = self.payload(name)
            if payload is not None:
                self.last_push[name] = now
                self._push(name, payload)

    def _push_kline_close(self, name: str) -> None:
        """Like Binance: when a bar ends, its final state goes out once with "x": true."""
        target = self._kline_target(name)
        if target is None:
            return
        st, interval = target
        ims = INTERVAL_MS[interval]
        now = self.sim.server_ms()
        open_ms = now - now % ims
        previous = self.kline_open.get(name)
        self.kline_open[name] = open_ms
        if previous is not None and previous < open_ms:
            bar = self.kline(st, interval, open_ms=previous, closed=True)
            self._push(name, self._as_continuous(bar) if "@continuous" in name else bar)

    def _kline_target(self, name: str) -> tuple[SymbolState, str] | None:
        """The symbol and interval a kline or perpetual continuous-kline stream follows."""
        m = STREAM_RE.match(name)
        if m and m["kind"].startswith("kline_"):
            st = self._state(m["sym"])
            return (st, m["kind"][6:]) if st else None
        m = CONTINUOUS_RE.match(name)
        if m and m["ct"] == "perpetual":
            st = self._state(m["pair"])
            return (st, m["interval"]) if st else None
        return None

    @staticmethod
    def _as_continuous(bar: dict) -> dict:
        """Binance's continuous_kline payload: pair and contract type, no symbol in the bar."""
        k = {key: v for key, v in bar["k"].items() if key != "s"}
        return {"e": "continuous_kline", "E": bar["E"], "ps": bar["s"], "ct": "PERPETUAL", "k": k}

    def force_order(self, order: dict, event_ms: int) -> None:
        """A filled liquidation (from an ORDER_TRADE_UPDATE) on `<symbol>@forceOrder`."""
        if order.get("o") != "LIQUIDATION" or order.get("X") != "FILLED":
            return
        payload = {
            "e": "forceOrder",
            "E": event_ms,
            "o": {
                "s": order["s"],
                "S": order["S"],
                "o": "LIMIT",  # Binance shows liquidation orders as IOC LIMITs
                "f": "IOC",
                "q": order["q"],
                "p": order["p"],
                "ap": order["ap"],
                "X": "FILLED",
                "l": order["l"],
                "z": order["z"],
                "T": order["T"],
            },
        }
        self._push(f"{order['s'].lower()}@forceOrder", payload)
        self._push("!forceOrder@arr", payload)

    # ------------------------------------------------------------ payloads

    def _state(self, sym: str) -> SymbolState | None:
        return self.sim.markets.get(sym.upper())

    def payload(self, name: str) -> dict | list | None:
        if name.startswith("!"):
            return self._all_payload(name)
        if "@continuousKline_" in name:
            target = self._kline_target(name)
            return self._as_continuous(self.kline(*target)) if target else None
        m = STREAM_RE.match(name)
        if not m:
            return None
        st = self._state(m["sym"])
        if st is None:
            return None
        kind = m["kind"]
        if kind == "bookTicker":
            return self.book_ticker(st)
        if kind.startswith("depth"):
            levels = int(kind[5:] or 20)
            return self.depth(st, levels)
        if kind == "markPrice":
            return self.mark_price(st)
        if kind == "ticker":
            return self.ticker(st)
        if kind == "miniTicker":
            t = self.ticker(st)
            return {
                "e": "24hrMiniTicker",
                **{k: t[k] for k in ("E", "s", "c", "o", "h", "l", "v", "q")},
            }
        if kind.startswith("kline_"):
            return self.kline(st, kind[6:])
        return None

    def _all_payload(self, name: str) -> list | dict | None:
        states = list(self.sim.markets.values())
        if name.startswith("!markPrice"):
            return [self.mark_price(s) for s in states]
        if name == "!ticker@arr":
            return [self.ticker(s) for s in states]
        if name == "!miniTicker@arr":
            out = []
            for s in states:
                t = self.ticker(s)
                keys = ("E", "s", "c", "o", "h", "l", "v", "q")
                out.append({"e": "24hrMiniTicker", **{k: t[k] for k in keys}})
            return out
        return None

    def trade_payload(self, symbol: str, kind: str) -> dict:
        st = self.sim.markets[symbol]
        spec = st.spec
        now = self.sim.server_ms()
        if kind == "trade":
            return {
                "e": "trade",
                "E": now,
                "T": st.last_trade_ms or now,
                "s": symbol,
                "t": st.agg_trade_id,
                "p": spec.fmt_price(st.last),
                "q": spec.fmt_qty(st.last_qty),
                "X": "MARKET",
                "m": st.last_trade_maker,
            }
        return {
            "e": "aggTrade",
            "E": now,
            "a": st.agg_trade_id,
            "s": symbol,
            "p": spec.fmt_price(st.last),
            "q": spec.fmt_qty(st.last_qty),
            "f": st.agg_trade_id,  # every stand-in trade is its own aggregate, as in REST
            "l": st.agg_trade_id,
            "T": st.last_trade_ms or now,
            "m": st.last_trade_maker,
        }

    def book_ticker(self, st: SymbolState) -> dict:
        spec = st.spec
        now = self.sim.server_ms()
        return {
            "e": "bookTicker",
            "u": st.book_update_id,
            "E": now,
            "T": now,
            "s": spec.symbol,
            "b": spec.fmt_price(st.best_bid()),
            "B": spec.fmt_qty(st.level_qty(0)),
            "a": spec.fmt_price(st.best_ask()),
            "A": spec.fmt_qty(st.level_qty(0)),
        }

    def depth(self, st: SymbolState, levels: int) -> dict:
        spec = st.spec
        now = self.sim.server_ms()
        bids, asks = st.book(levels)
        st.bump_book()
        return {
            "e": "depthUpdate",
            "E": now,
            "T": now,
            "s": spec.symbol,
            "U": st.prev_book_update_id,
            "u": st.book_update_id,
            "pu": st.prev_book_update_id - 1,
            "b": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in bids],
            "a": [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in asks],
        }

    def mark_price(self, st: SymbolState) -> dict:
        spec = st.spec
        now = self.sim.server_ms()
        return {
            "e": "markPriceUpdate",
            "E": now,
            "s": spec.symbol,
            "p": spec.fmt_price(st.mark),
            "i": spec.fmt_price(st.mark),
            "P": spec.fmt_price(st.mark),
            "r": rate_str(self.sim.funding.rate(spec.symbol)),
            "T": next_funding_ms(now),
        }

    def stats_24h(self, st: SymbolState) -> dict:
        """24 h window from hourly bars; cached for a few seconds (it costs a few ms)."""
        key = st.spec.symbol
        cached = self._stats_cache.get(key)
        now_mono = time.monotonic()
        if cached and now_mono - cached[0] < 5.0 and cached[1]["last"] == st.last:
            return cached[1]
        now = self.sim.server_ms()
        hour = 3_600_000
        start = now - now % hour - 23 * hour
        rows = [st.kline(start + i * hour, hour, now) for i in range(24)]
        spec = st.spec
        open_ = Decimal(rows[0][1])
        high = max(max(Decimal(r[2]) for r in rows), st.last)
        low = min(min(Decimal(r[3]) for r in rows), st.last)
        vol = sum((Decimal(r[5]) for r in rows), Decimal(0))
        quote = sum((Decimal(r[7]) for r in rows), Decimal(0))
        count = sum(int(r[8]) for r in rows)
        change = st.last - open_
        data = {
            "last": st.last,
            "open": open_,
            "high": high,
            "low": low,
            "volume": vol,
            "quote": quote,
            "count": count,
            "change": change,
            "pct": (change / open_ * 100).quantize(Decimal("0.001")) if open_ else Decimal(0),
            "wavg": spec.floor_tick(quote / vol) if vol else st.last,
            "open_time": now - 86_400_000,
            "close_time": now,
        }
        self._stats_cache[key] = (now_mono, data)
        return data

    def ticker(self, st: SymbolState) -> dict:
        spec = st.spec
        d = self.stats_24h(st)
        return {
            "e": "24hrTicker",
            "E": self.sim.server_ms(),
            "s": spec.symbol,
            "p": spec.fmt_price(d["change"]),
            "P": f"{d['pct']:f}",
            "w": spec.fmt_price(d["wavg"]),
            "c": spec.fmt_price(st.last),
            "Q": spec.fmt_qty(st.last_qty),
            "o": spec.fmt_price(d["open"]),
            "h": spec.fmt_price(d["high"]),
            "l": spec.fmt_price(d["low"]),
            "v": spec.fmt_qty(d["volume"]),
            "q": money(d["quote"]),
            "O": d["open_time"],
            "C": d["close_time"],
            "F": max(0, st.agg_trade_id - d["count"]),
            "L": st.agg_trade_id,
            "n": d["count"],
        }

    def kline(
        self, st: SymbolState, interval: str, *, open_ms: int | None = None, closed: bool = False
    ) -> dict:
        ims = INTERVAL_MS[interval]
        now = self.sim.server_ms()
        if open_ms is None:
            open_ms = now - now % ims
        row = st.kline(open_ms, ims, now)
        return {
            "e": "kline",
            "E": now,
            "s": st.spec.symbol,
            "k": {
                "t": open_ms,
                "T": open_ms + ims - 1,
                "s": st.spec.symbol,
                "i": interval,
                "f": max(0, st.agg_trade_id - row[8]),
                "L": st.agg_trade_id,
                "o": row[1],
                "c": row[4],
                "h": row[2],
                "l": row[3],
                "v": row[5],
                "n": row[8],
                "x": closed,
                "q": row[7],
                "V": row[9],
                "Q": row[10],
                "B": "0",
            },
        }


def next_funding_ms(now: int) -> int:
    period = 8 * 3_600_000
    return now - now % period + period


# ---------------------------------------------------------------- WebSocket routes


def _reply_error(conn: Conn, code: int, msg: str, req_id: object = None) -> None:
    conn.send(dumps({"code": code, "msg": msg, "id": req_id}))


REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,36}$")


def valid_request_id(req_id: object) -> bool:
    """An unsigned integer, a short alphanumeric string (Binance's SDK sends UUIDs) or null."""
    if req_id is None:
        return True
    if isinstance(req_id, str):
        return bool(REQUEST_ID_RE.match(req_id))
    return isinstance(req_id, int) and not isinstance(req_id, bool) and req_id >= 0


def handle_control(conn: Conn, text: str) -> None:
    """SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY."""
    hub = conn.sim.market_hub
    try:
        req = json.loads(text)
    except ValueError as exc:
        _reply_error(conn, 3, f"Invalid JSON: {exc}")
        return
    if not isinstance(req, dict):
        _reply_error(conn, 3, "Invalid JSON: expected an object")
        return
    req_id = req.get("id")
    if not valid_request_id(req_id):
        _reply_error(conn, 2, "Invalid request: request ID must be an unsigned integer", req_id)
        return
    method = req.get("method")
    params = req.get("params", [])
    if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            _reply_error(conn, 2, "Invalid request: params must be a list of stream names", req_id)
            return
        # binance-futures-connector subscribes to a listen key like to a stream
        keys = [p for p in params if conn.sim.users.valid(p) or p in conn.sim.users.keys]
        if keys:
            for lk in keys:
                if method == "SUBSCRIBE":
                    conn.sim.users.attach(lk, conn)
                else:
                    conn.sim.users.conns.get(lk, set()).discard(conn)
            params = [p for p in params if p not in keys]
        bad = [p for p in params if not valid_stream(p)]
        if bad:
            _reply_error(conn, 2, f"Invalid request: invalid stream name {bad[0]!r}", req_id)
            return
        if method == "SUBSCRIBE":
            new = [p for p in params if p not in conn.streams]
            if len(conn.streams) + len(new) > MAX_STREAMS:
                _reply_error(conn, 2, f"Invalid request: more than {MAX_STREAMS} streams", req_id)
                return
            hub.subscribe(conn, params)
        else:
            hub.unsubscribe(conn, params)
        conn.send(dumps({"result": None, "id": req_id}))
    elif method == "LIST_SUBSCRIPTIONS":
        conn.send(dumps({"result": list(conn.streams), "id": req_id}))
    elif method == "SET_PROPERTY":
        if not isinstance(params, list) or len(params) != 2:
            _reply_error(conn, 2, "Invalid request: SET_PROPERTY takes [name, value]", req_id)
            return
        if params[0] != "combined":
            _reply_error(conn, 0, "Unknown property", req_id)
            return
        if not isinstance(params[1], bool):
            _reply_error(conn, 1, "Invalid value type: expected Boolean", req_id)
            return
        conn.combined = params[1]
        conn.send(dumps({"result": None, "id": req_id}))
    elif method == "GET_PROPERTY":
        if not isinstance(params, list) or len(params) != 1:
            _reply_error(conn, 2, "Invalid request: GET_PROPERTY takes [name]", req_id)
            return
        if params[0] != "combined":
            _reply_error(conn, 0, "Unknown property", req_id)
            return
        conn.send(dumps({"result": conn.combined, "id": req_id}))
    else:
        _reply_error(conn, 2, "Invalid request: unknown method", req_id)


async def ws_handler(request: web.Request) -> web.StreamResponse:
    """Every WebSocket URL form; the path decides market vs user and raw vs combined."""
    from simexchange.core import SIM_KEY  # late: core imports this module

    sim = request.app[SIM_KEY]
    path = request.path
    for prefix in ("/public", "/market", "/private"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    combined = path.startswith("/stream")
    tail = path.split("/", 2)[2] if path.count("/") >= 2 else ""
    # ccxt.pro appends a connection index (`/market/ws/1`): a number is never a stream or key
    names = [n for n in tail.split("/") if n and not (n.isascii() and n.isdigit())]
    if combined:
        names += [n for n in request.query.get("streams", "").split("/") if n]
    listen_key = request.query.get("listenKey") or ""
    if not listen_key and len(names) == 1 and "@" not in names[0] and not names[0].startswith("!"):
        listen_key = names[0]
    # `/private/stream` with no key is how Binance's SDK connects: the key comes later in a
    # SUBSCRIBE (handle_control attaches it), so the socket opens as a market one until then
    if listen_key and not sim.users.valid(listen_key):
        raise web.HTTPBadRequest(
            text=dumps({"code": -1125, "msg": "This listenKey does not exist."}),
            content_type="application/json",
        )
    if sim.faults.ws_refuse:
        raise web.HTTPServiceUnavailable(
            text=dumps({"code": -1001, "msg": "Internal error; unable to process your request."}),
            content_type="application/json",
        )
    if not listen_key and len(names) > MAX_STREAMS:
        raise web.HTTPBadRequest(text=dumps({"code": 2, "msg": "too many streams"}))
    ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
    await ws.prepare(request)
    conn = Conn(sim, ws, "user" if listen_key else "market", combined)
    events = re.split(r"[/,]", request.query.get("events", ""))
    if any(events):
        conn.events = {e for e in events if e}
    if listen_key:
        sim.users.attach(listen_key, conn)
    else:
        sim.market_hub.subscribe(conn, [n for n in names if valid_stream(n)])
    try:
        await conn.serve(handle_control)
    finally:
        sim.market_hub.detach(conn)
        sim.users.detach(conn)
    return ws
