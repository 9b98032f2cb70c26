"""Symbols, their filters, the price feed, the synthetic order book and kline history.

Prices are Decimal on the tick grid. The live feed is a seeded random walk; history before the
server started is a deterministic fractal-noise walk anchored so it meets the live price.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

D0 = Decimal(0)

# every symbol lists its onboardDate as this (2019-09-25, BTCUSDT's listing day on Binance)
ONBOARD_MS = 1569398400000
TAPE_SIZE = 10_000  # public trades kept per symbol for /trades, /historicalTrades, /aggTrades

INTERVAL_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": 2_592_000_000,  # approximated as 30 days
}


@dataclass(frozen=True)
class SymbolSpec:
    """Static trading rules of one perpetual, close to Binance's values."""

    symbol: str
    base: str
    base_price: Decimal
    tick: Decimal
    min_price: Decimal
    max_price: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_step: Decimal
    market_min_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    price_precision: int
    quantity_precision: int
    annual_vol: float

    @property
    def quote(self) -> str:
        return "USDT"

    def fmt_price(self, value: Decimal) -> str:
        return f"{value.quantize(self.tick):f}" if value else "0"

    def fmt_qty(self, value: Decimal) -> str:
        return f"{value.quantize(self.step):f}" if value else "0"

    def floor_tick(self, value: Decimal) -> Decimal:
        return (value / self.tick).to_integral_value(ROUND_FLOOR) * self.tick

    def round_tick(self, value: Decimal) -> Decimal:
        """Nearest tick: unbiased, unlike floor, so a random walk does not drift down."""
        return (value / self.tick).to_integral_value(ROUND_HALF_EVEN) * self.tick

    def ceil_tick(self, value: Decimal) -> Decimal:
        return (value / self.tick).to_integral_value(ROUND_CEILING) * self.tick


def _spec(**kw: object) -> SymbolSpec:
    conv = {
        k: Decimal(str(v)) if isinstance(v, str) and k not in ("symbol", "base") else v
        for k, v in kw.items()
    }
    return SymbolSpec(**conv)  # type: ignore[arg-type]


SYMBOLS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec(
            symbol="BTCUSDT",
            base="BTC",
            base_price="65000.00",
            tick="0.10",
            min_price="261.10",
            max_price="809484",
            step="0.001",
            min_qty="0.001",
            max_qty="1000",
            market_step="0.001",
            market_min_qty="0.001",
            market_max_qty="120",
            min_notional="100",
            price_precision=2,
            quantity_precision=3,
            annual_vol=0.55,
        ),
        _spec(
            symbol="ETHUSDT",
            base="ETH",
            base_price="3400.00",
            tick="0.01",
            min_price="39.86",
            max_price="306177",
            step="0.001",
            min_qty="0.001",
            max_qty="10000",
            market_step="0.001",
            market_min_qty="0.001",
            market_max_qty="2000",
            min_notional="20",
            price_precision=2,
            quantity_precision=3,
            annual_vol=0.65,
        ),
        _spec(
            symbol="SOLUSDT",
            base="SOL",
            base_price="150.0000",
            tick="0.0100",
            min_price="0.4200",
            max_price="6857",
            step="1",
            min_qty="1",
            max_qty="1000000",
            market_step="1",
            market_min_qty="1",
            market_max_qty="5000",
            min_notional="5",
            price_precision=4,
            quantity_precision=0,
            annual_vol=0.85,
        ),
        _spec(
            symbol="BNBUSDT",
            base="BNB",
            base_price="600.000",
            tick="0.010",
            min_price="6.600",
            max_price="100000",
            step="0.01",
            min_qty="0.01",
            max_qty="100000",
            market_step="0.01",
            market_min_qty="0.01",
            market_max_qty="2000",
            min_notional="5",
            price_precision=3,
            quantity_precision=2,
            annual_vol=0.6,
        ),
    )
}


def exchange_info(server_ms: int, weight_limit: int) -> dict:
    """The /fapi/v1/exchangeInfo body."""
    symbols = []
    for s in SYMBOLS.values():
        symbols.append(
            {
                "symbol": s.symbol,
                "pair": s.symbol,
                "contractType": "PERPETUAL",
                "deliveryDate": 4133404800000,
                "onboardDate": ONBOARD_MS,
                "status": "TRADING",
                "maintMarginPercent": "2.5000",
                "requiredMarginPercent": "5.0000",
                "baseAsset": s.base,
                "quoteAsset": "USDT",
                "marginAsset": "USDT",
                "pricePrecision": s.price_precision,
                "quantityPrecision": s.quantity_precision,
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "underlyingType": "COIN",
                "underlyingSubType": [],
                "settlePlan": 0,
                "triggerProtect": "0.0500",
                "liquidationFee": "0.012500",
                "marketTakeBound": "0.05",
                "maxMoveOrderLimit": 10000,
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": f"{s.min_price:f}",
                        "maxPrice": f"{s.max_price:f}",
                        "tickSize": f"{s.tick:f}",
                    },
                    {
                        "filterType": "LOT_SIZE",
                        "minQty": f"{s.min_qty:f}",
                        "maxQty": f"{s.max_qty:f}",
                        "stepSize": f"{s.step:f}",
                    },
                    {
                        "filterType": "MARKET_LOT_SIZE",
                        "minQty": f"{s.market_min_qty:f}",
                        "maxQty": f"{s.market_max_qty:f}",
                        "stepSize": f"{s.market_step:f}",
                    },
                    {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                    {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                    {"filterType": "MIN_NOTIONAL", "notional": f"{s.min_notional:f}"},
                    {
                        "filterType": "PERCENT_PRICE",
                        "multiplierUp": "1.0500",
                        "multiplierDown": "0.9500",
                        "multiplierDecimal": "4",
                    },
                ],
                "orderTypes": [
                    "LIMIT",
                    "MARKET",
                    "STOP",
                    "STOP_MARKET",
                    "TAKE_PROFIT",
                    "TAKE_PROFIT_MARKET",
                    "TRAILING_STOP_MARKET",
                ],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
            }
        )
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": weight_limit,
            },
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [
            {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"},
        ],
        "symbols": symbols,
    }


# ---------------------------------------------------------------- deterministic history


def _mix(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _unit(seed: int, a: int, b: int) -> float:
    """Deterministic noise in [-1, 1] for the (a, b) lattice point."""
    return _mix(seed ^ _mix(a * 0x1F123BB5 + b)) / 0x7FFFFFFFFFFFFFFF - 1.0


_OCTAVES = 19  # 1 minute .. 2**18 minutes (~6 months): a Brownian-looking walk at every scale


class History:
    """Log-price as a sum of value-noise octaves with sqrt(scale) amplitude (fractal Brownian)."""

    def __init__(self, spec: SymbolSpec, seed: int, anchor_ms: int, anchor_price: Decimal):
        self.spec = spec
        self.seed = _mix(seed ^ sum(ord(c) << (i * 7) for i, c in enumerate(spec.symbol)))
        sigma_min = spec.annual_vol / math.sqrt(525_600)
        # 1.7 compensates the variance lost by linear interpolation of uniform noise
        self.amps = [sigma_min * math.sqrt(2**k) * 1.7 for k in range(_OCTAVES)]
        self.anchor_ms = anchor_ms
        self.offset = math.log(float(anchor_price)) - self._raw(anchor_ms / 60_000)

    def _raw(self, t_min: float) -> float:
        total = 0.0
        for k, amp in enumerate(self.amps):
            scale = 1 << k
            pos = t_min / scale
            i = math.floor(pos)
            frac = pos - i
            a = _unit(self.seed, k, i)
            b = _unit(self.seed, k, i + 1)
            total += amp * (a + (b - a) * frac)
        return total

    def price(self, ms: int) -> float:
        return math.exp(self.offset + self._raw(ms / 60_000))

    def bar(self, open_ms: int, interval_ms: int) -> tuple[float, float, float, float, float]:
        """Return (open, high, low, close, volume) of a finished historical bar."""
        n = 4
        pts = [self.price(open_ms + interval_ms * j // n) for j in range(n + 1)]
        o, c = pts[0], pts[-1]
        wick = (
            abs(_unit(self.seed, 97, open_ms // 60_000))
            * self.amps[0]
            * math.sqrt(interval_ms / 60_000)
        )
        hi = max(pts) * (1 + wick * 0.5)
        lo = min(pts) * (1 - wick * 0.5)
        vol_unit = 2_000_000.0 / float(self.spec.base_price)  # ~2M USDT a minute
        vol = vol_unit * (interval_ms / 60_000) * (1.2 + _unit(self.seed, 98, open_ms // 60_000))
        return o, hi, lo, c, max(vol, 0.0)


# ---------------------------------------------------------------- live state


@dataclass
class Candle:
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = D0
    quote_volume: Decimal = D0
    trades: int = 0
    taker_buy_volume: Decimal = D0
    taker_buy_quote: Decimal = D0
    first_trade: int = -1
    last_trade: int = -1


@dataclass
class SymbolState:
    """Live market of one symbol: last and mark price, 24 h window, recorded 1m candles."""

    spec: SymbolSpec
    last: Decimal
    mark: Decimal
    history: History
    live_from_ms: int
    candles: dict[int, Candle] = field(default_factory=dict)  # 1m open time -> candle
    agg_trade_id: int = 1_000_000
    last_qty: Decimal = Decimal("0.010")
    book_update_id: int = 1
    prev_book_update_id: int = 0
    last_trade_ms: int = 0
    last_trade_maker: bool = False
    # the public trade tape (id, ms, price, qty, buyer_maker) that /trades and /aggTrades read
    tape: deque = field(default_factory=lambda: deque(maxlen=TAPE_SIZE))

    def record_trade(self, ms: int, price: Decimal, qty: Decimal, buyer_maker: bool) -> None:
        """Add a public trade at price to the 1m candle and move the last price."""
        self.last = price
        self.last_qty = qty
        self.agg_trade_id += 1
        self.last_trade_ms = ms
        self.last_trade_maker = buyer_maker
        self.tape.append((self.agg_trade_id, ms, price, qty, buyer_maker))
        key = ms - ms % 60_000
        c = self.candles.get(key)
        if c is None:
            c = Candle(price, price, price, price, first_trade=self.agg_trade_id)
            self.candles[key] = c
            if len(self.candles) > 60 * 24 * 8:  # keep eight days of live minutes
                self.candles.pop(min(self.candles))
        c.high = max(c.high, price)
        c.low = min(c.low, price)
        c.close = price
        c.volume += qty
        c.quote_volume += qty * price
        c.trades += 1
        c.last_trade = self.agg_trade_id
        if not buyer_maker:
            c.taker_buy_volume += qty
            c.taker_buy_quote += qty * price
        self.bump_book()

    def bump_book(self) -> None:
        self.prev_book_update_id = self.book_update_id
        self.book_update_id += 1

    # -- book -----------------------------------------------------------------

    def level_gap(self) -> Decimal:
        gap = self.spec.floor_tick(self.last * Decimal("0.00005"))
        return max(gap, self.spec.tick)

    def best_bid(self) -> Decimal:
        return self.last - self.spec.tick

    def best_ask(self) -> Decimal:
        return self.last

    def level_qty(self, i: int) -> Decimal:
        """Depth at level i: about 30k USDT at the touch, growing away from it."""
        notional = Decimal(30_000 + 15_000 * i)
        q = (notional / self.last / self.spec.step).to_integral_value(ROUND_FLOOR) * self.spec.step
        return max(q, self.spec.step)

    def book(
        self, limit: int
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        gap = self.level_gap()
        bids = [(self.best_bid() - gap * i, self.level_qty(i)) for i in range(limit)]
        asks = [(self.best_ask() + gap * i, self.level_qty(i)) for i in range(limit)]
        return [b for b in bids if b[0] > 0], asks

    def sweep(
        self, side: str, qty: Decimal, limit: Decimal | None
    ) -> list[tuple[Decimal, Decimal]]:
        """Fill qty against the synthetic book as taker, up to limit; return (price, qty) fills."""
        fills: list[tuple[Decimal, Decimal]] = []
        gap = self.level_gap()
        remaining = qty
        i = 0
        while remaining > 0 and i < 500:
            if side == "BUY":
                px = self.best_ask() + gap * i
                if limit is not None and px > limit:
                    break
            else:
                px = self.best_bid() - gap * i
                if px <= 0 or (limit is not None and px < limit):
                    break
            take = min(remaining, self.level_qty(i))
            fills.append((px, take))
            remaining -= take
            i += 1
        return fills

    # -- klines ---------------------------------------------------------------

    def kline(self, open_ms: int, interval_ms: int, now_ms: int) -> list:
        """One kline row in Binance's array form."""
        close_ms = open_ms + interval_ms - 1
        s = self.spec
        if open_ms + interval_ms <= self.live_from_ms:
            o, h, lo, c, v = self.history.bar(open_ms, interval_ms)
            po, ph, pl, pc = (s.floor_tick(Decimal(repr(x))) for x in (o, h, lo, c))
            vol = (Decimal(repr(v)) / s.step).to_integral_value(ROUND_FLOOR) * s.step
            mid = (po + pc) / 2
            quote = (vol * mid).quantize(Decimal("0.0001"))
            trades = int(v * 3) + 1
            tb = (vol * Decimal("0.49") / s.step).to_integral_value(ROUND_FLOOR) * s.step
            return [
                open_ms,
                s.fmt_price(po),
                s.fmt_price(max(ph, po, pc)),
                s.fmt_price(min(pl, po, pc)),
                s.fmt_price(pc),
                s.fmt_qty(vol),
                close_ms,
                f"{quote:f}",
                trades,
                s.fmt_qty(tb),
                f"{(tb * mid).quantize(Decimal('0.0001')):f}",
                "0",
            ]
        agg = self.live_bar(open_ms, interval_ms, now_ms)
        return [
            open_ms,
            s.fmt_price(agg.open),
            s.fmt_price(agg.high),
            s.fmt_price(agg.low),
            s.fmt_price(agg.close),
            s.fmt_qty(agg.volume),
            close_ms,
            f"{agg.quote_volume.quantize(Decimal('0.0001')):f}",
            agg.trades,
            s.fmt_qty(agg.taker_buy_volume),
            f"{agg.taker_buy_quote.quantize(Decimal('0.0001')):f}",
            "0",
        ]

    def live_bar(self, open_ms: int, interval_ms: int, now_ms: int) -> Candle:
        """Aggregate the recorded 1m candles of [open_ms, open_ms + interval)."""
        parts = [
            c
            for t, c in sorted(self.candles.items())
            if open_ms <= t < open_ms + interval_ms and t <= now_ms
        ]
        if not parts:
            if open_ms < self.live_from_ms:
                p = Decimal(repr(self.history.price(open_ms)))
                p = self.spec.floor_tick(p)
            else:
                p = self.last
            before = [c for t, c in self.candles.items() if t < open_ms]
            if before:
                p = before[-1].close
            return Candle(p, p, p, p)
        out = Candle(parts[0].open, parts[0].high, parts[0].low, parts[-1].close)
        for c in parts:
            out.high = max(out.high, c.high)
            out.low = min(out.low, c.low)
            out.volume += c.volume
            out.quote_volume += c.quote_volume
            out.trades += c.trades
            out.taker_buy_volume += c.taker_buy_volume
            out.taker_buy_quote += c.taker_buy_quote
        out.first_trade = parts[0].first_trade
        out.last_trade = parts[-1].last_trade
        return out


class PriceFeed:
    """Seeded random walk of every symbol's last price; one step per tick."""

    def __init__(self, seed: int | None, tick_ms: int):
        self.rng = random.Random(seed)
        self.tick_ms = tick_ms

    def step(self, st: SymbolState) -> tuple[Decimal, Decimal]:
        """Return (new price, traded qty) for one tick of st."""
        ticks_per_year = 365 * 24 * 3600 * 1000 / self.tick_ms
        sigma = st.spec.annual_vol / math.sqrt(ticks_per_year)
        move = Decimal(repr(math.exp(self.rng.gauss(0.0, sigma))))
        price = st.spec.round_tick(st.last * move)
        price = min(max(price, st.spec.min_price), st.spec.max_price)
        u = self.rng.random()
        qty = st.spec.step * (1 + int(u * u * 400))
        return price, qty
