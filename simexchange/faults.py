"""Fault knobs the control surface sets, so clients can be tested against a misbehaving exchange."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field

from simexchange.errors import SERVICE_UNAVAILABLE_BODIES, BinanceError


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    burst_429: int = 0
    clock_skew_ms: int = 0
    lose_order_responses: int = 0
    ws_cut_after: int = 0  # 0 = off; cut each market/user socket after N more messages
    ws_cut_generation: int = 0  # bumped on every set, so sockets restart their count
    ws_refuse: int = 0  # 1 = an outage: market/user sockets are cut and new ones refused (503)
    rng: random.Random = field(default_factory=lambda: random.Random(7), repr=False)

    KNOBS = (
        "latency_ms",
        "error_rate",
        "burst_429",
        "clock_skew_ms",
        "lose_order_responses",
        "ws_cut_after",
        "ws_refuse",
    )

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("rng", None)
        return data

    def clear(self) -> None:
        gen = self.ws_cut_generation + 1
        for name in self.KNOBS:
            setattr(self, name, type(getattr(self, name))())
        self.ws_cut_generation = gen

    def before_request(self) -> None:
        """Raise the injected failure for this request, if any (definite failures only)."""
        if self.burst_429 > 0:
            self.burst_429 -= 1
            raise BinanceError(
                -1003,
                "Too many requests; current limit is exceeded (injected by simexchange).",
                status=429,
                headers={"Retry-After": "1"},
            )
        if self.error_rate and self.rng.random() < self.error_rate:
            code, msg = self.rng.choice(SERVICE_UNAVAILABLE_BODIES)
            raise BinanceError(code, msg, status=503)

    def take_lost_response(self) -> bool:
        """True when this executed order's answer must be lost (503 unknown status)."""
        if self.lose_order_responses > 0:
            self.lose_order_responses -= 1
            return True
        return False
