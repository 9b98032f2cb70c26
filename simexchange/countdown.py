"""The dead-man switch `POST /fapi/v1/countdownCancelAll`, driven by the stand-in's clock.

A timer per (account, symbol) cancels the symbol's open orders when the server clock passes
its deadline; armed timers are kept in the state file, so a restart does not disarm them. The
check runs on every tick and whenever `/_sim/clock` moves the clock, so a test with a frozen
clock steps past the deadline and sees the orders gone, with no sleep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simexchange.core import Sim


class Countdowns:
    """Deadlines in server ms, keyed by (api key, symbol)."""

    def __init__(self, sim: Sim):
        self.sim = sim
        self.deadlines: dict[tuple[str, str], int] = {}

    def set(self, api_key: str, symbol: str, countdown_ms: int) -> None:
        """Start or replace the timer; 0 stops it (Binance's heartbeat semantics)."""
        if countdown_ms == 0:
            self.deadlines.pop((api_key, symbol), None)
        else:
            self.deadlines[(api_key, symbol)] = self.sim.server_ms() + countdown_ms

    def expire_due(self) -> None:
        """Cancel every open (non-algo) order of a symbol whose timer has run out."""
        if not self.deadlines:
            return
        now = self.sim.server_ms()
        for (key, symbol), deadline in list(self.deadlines.items()):
            if deadline > now:
                continue
            del self.deadlines[(key, symbol)]
            acc = self.sim.accounts.get(key)
            if acc is not None and acc.open_orders(symbol):
                self.sim.engine.cancel_all(acc, symbol)

    def clear(self) -> None:
        self.deadlines.clear()

    def to_json(self) -> list[list]:
        """[[api key, symbol, deadline ms], ...]: the state file keeps armed timers."""
        return [[key, symbol, at] for (key, symbol), at in sorted(self.deadlines.items())]

    def load(self, rows: list[list]) -> None:
        """Re-arm saved timers (keys no longer configured are dropped); a deadline that passed
        while the stand-in was down fires on the first tick, as it would have."""
        self.deadlines = {
            (key, symbol): int(at) for key, symbol, at in rows if key in self.sim.accounts
        }
