"""The Sim object: wires settings, clock, markets, accounts, engine, faults and hubs together.

Everything here runs on one event loop; handlers reach it through `request.app[SIM_KEY]`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

from aiohttp import web

from simexchange.accounts import Account
from simexchange.amend import Amendments
from simexchange.config import Settings
from simexchange.countdown import Countdowns
from simexchange.errors import BinanceError
from simexchange.faults import Faults
from simexchange.funding import Funding
from simexchange.limits import RateLimiter
from simexchange.market import SYMBOLS, History, PriceFeed, SymbolState
from simexchange.matching import Engine
from simexchange.persistence import Store
from simexchange.streams import MarketHub
from simexchange.userdata import UserHub

log = logging.getLogger("simexchange")
SIM_KEY: web.AppKey[Sim] = web.AppKey("sim")


class Sim:
    """The whole exchange state plus the background loop that moves prices."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.clock_offset_ms = 0
        # set by the control API: the clock stands at this wall time until advanced, so a
        # stream test never depends on where the real minute is
        self.frozen_at_ms: int | None = None
        self.faults = Faults()
        self.limiter = RateLimiter(settings.weight_limit)
        self.keys: dict[str, str] = dict(settings.api_keys)
        self.feed = PriceFeed(settings.seed, settings.tick_ms)
        self.feed_running = settings.feed_running
        self.anchor_ms = self.server_ms() - self.server_ms() % 60_000
        self.markets: dict[str, SymbolState] = {}
        self._build_markets({})
        self.accounts: dict[str, Account] = {}
        self.btcturk: dict[str, dict] = {}
        self.engine = Engine(self.accounts, self.markets, self.server_ms)
        self.engine.public_trade = self._public_trade
        self.users = UserHub(self)
        self.market_hub = MarketHub(self)
        self.engine.emit = self._emit
        self.store = Store(settings.state_file, self, settings.state_sync)
        self.engine.changed = self.store.mark_dirty
        self.counters: dict[str, int] = {"requests": 0, "orders": 0, "ws_messages": 0}
        self.amendments = Amendments()  # GET /fapi/v1/orderAmendment (journaled)
        self.countdowns = Countdowns(self)  # POST /fapi/v1/countdownCancelAll timers
        self.funding = Funding(self)  # rates, 8-hourly settlement, income rows
        self.reset_accounts()
        self.store.load()
        self._tasks: list[asyncio.Task] = []
        self._paths: dict[str, asyncio.Task] = {}

    # ------------------------------------------------------------ clock

    def server_ms(self) -> int:
        base = self.frozen_at_ms if self.frozen_at_ms is not None else int(time.time() * 1000)
        return base + self.clock_offset_ms + self.faults.clock_skew_ms

    # ------------------------------------------------------------ state

    def _build_markets(self, prices: dict[str, tuple[Decimal, Decimal]]) -> None:
        seed = self.settings.seed if self.settings.seed is not None else 20240101
        for sym, spec in SYMBOLS.items():
            last, mark = prices.get(sym, (spec.base_price, spec.base_price))
            hist = History(spec, seed, self.anchor_ms, spec.base_price)
            self.markets[sym] = SymbolState(
                spec=spec, last=last, mark=mark, history=hist, live_from_ms=self.anchor_ms
            )

    def new_account(self, api_key: str) -> Account:
        return Account(
            api_key=api_key,
            wallet=self.settings.start_balance,
            spot=dict(self.settings.spot_balances),
            # a real time, not 0: ccxt skips balance assets whose updateTime is 0,
            # so a fresh account would read as empty
            update_time=self.server_ms(),
        )

    def reset_accounts(self) -> None:
        """Every account back to its starting balances, no orders, no positions."""
        self.accounts.clear()
        for key in self.keys:
            self.accounts[key] = self.new_account(key)
        self.btcturk.clear()
        for pub, secret in self.settings.btcturk_keys:
            self.btcturk[pub] = {
                "secret": secret,
                "balances": dict(self.settings.btcturk_balances),
            }

    def account(self, api_key: str) -> Account:
        return self.accounts[api_key]

    # ------------------------------------------------------------ prices

    def cut_stream_sockets(self) -> int:
        """Abort every market and user socket (an outage; no close frame), return how many."""
        conns = self.market_hub.connections()
        for sockets in self.users.conns.values():
            conns |= sockets
        for conn in conns:
            conn.abort()
        return len(conns)

    def _public_trade(self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool) -> None:
        mkt = self.markets[symbol]
        last = mkt.last
        mkt.record_trade(self.server_ms(), price, qty, buyer_maker)
        mkt.last = last  # user fills hit a replenished synthetic book: the price stays
        self.market_hub.trade(symbol, price, qty, buyer_maker)

    def _emit(self, api_key: str, event: dict) -> None:
        """A user event to its listen key; a liquidation also goes to the public forceOrder."""
        self.users.publish(api_key, event)
        if event.get("e") == "ORDER_TRADE_UPDATE":
            self.market_hub.force_order(event["o"], event["E"])

    def set_price(self, symbol: str, price: Decimal, mark: Decimal | None = None) -> None:
        """Move last (and mark) to price and run matching at once."""
        if symbol not in self.markets:
            raise BinanceError(-1121, "Invalid symbol.")
        mkt = self.markets[symbol]
        spec = mkt.spec
        price = spec.floor_tick(price)
        if price <= 0:
            raise BinanceError(-1102, "price must be positive")
        mkt.record_trade(self.server_ms(), price, spec.step, price < mkt.last)
        mkt.mark = spec.floor_tick(mark) if mark is not None else price
        self.market_hub.trade(symbol, price, spec.step, False)
        self.engine.on_price(symbol)
        self.store.mark_dirty()

    def start_path(self, symbol: str, prices: list[Decimal], interval_ms: int) -> None:
        """Play prices one every interval_ms in the background (replacing any running path)."""
        old = self._paths.pop(symbol, None)
        if old:
            old.cancel()

        async def play() -> None:
            for p in prices:
                self.set_price(symbol, p)
                await asyncio.sleep(interval_ms / 1000)

        self._paths[symbol] = asyncio.get_running_loop().create_task(play())

    def step_feed(self) -> None:
        """One random-walk step of every symbol."""
        now = self.server_ms()
        for sym, mkt in self.markets.items():
            price, qty = self.feed.step(mkt)
            buyer_maker = price < mkt.last
            mkt.record_trade(now, price, qty, buyer_maker)
            mkt.mark = price
            self.market_hub.trade(sym, price, qty, buyer_maker)
            self.engine.on_price(sym)

    # ------------------------------------------------------------ lifecycle

    async def run_ticks(self) -> None:
        """The heartbeat: feed step, stream pushes, listen-key expiry; sleeps between ticks."""
        period = self.settings.tick_ms / 1000
        next_at = time.monotonic()
        while True:
            try:
                if self.feed_running:
                    self.step_feed()
                self.market_hub.on_tick()
                self.users.expire_due()
                self.countdowns.expire_due()
                self.funding.settle_due()
                self.store.commit()  # fills of this tick are durable before their events go out
            except Exception:  # a bug in one tick must not stop the exchange
                log.exception("tick failed")
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
                delay = period
            await asyncio.sleep(delay)

    async def start(self, app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self.run_ticks()))
        self.store.start()

    async def stop(self, app: web.Application) -> None:
        for t in self._tasks + list(self._paths.values()):
            t.cancel()
        await self.market_hub.close_all()
        await self.users.close_all()
        self.store.flush()
