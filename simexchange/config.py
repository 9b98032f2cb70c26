"""Settings of the stand-in, read once from the environment (or passed as keywords by tests)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

DEFAULT_API_KEYS = "simkey:simsecret"
DEFAULT_SPOT_BALANCES = "BTC:0.5,ETH:2,USDT:1000"
DEFAULT_BTCTURK_KEYS = "simbtcturk:" + base64.b64encode(b"simbtcturk-secret").decode()
DEFAULT_BTCTURK_BALANCES = "TRY:50000,BTC:0.1,ETH:1,USDT:500"


class ConfigError(ValueError):
    """A setting has a malformed value; fail loudly at start rather than trade on a guess."""


def parse_pairs(text: str, what: str) -> list[tuple[str, str]]:
    """Parse `a:b,c:d` into (name, value) pairs."""
    pairs: list[tuple[str, str]] = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        left, sep, right = item.partition(":")
        if not sep or not left or not right:
            raise ConfigError(f"{what}: expected NAME:VALUE, got {item!r}")
        pairs.append((left.strip(), right.strip()))
    return pairs


def parse_balances(text: str, what: str) -> dict[str, Decimal]:
    """Parse `BTC:0.5,ETH:2` into {asset: Decimal}."""
    out: dict[str, Decimal] = {}
    for asset, amount in parse_pairs(text, what):
        try:
            out[asset.upper()] = Decimal(amount)
        except InvalidOperation as exc:
            raise ConfigError(f"{what}: bad amount {amount!r}") from exc
    return out


@dataclass
class Settings:
    """Every knob of the stand-in; times in seconds unless the name says ms."""

    host: str = "127.0.0.1"
    port: int = 8765
    api_keys: list[tuple[str, str]] = field(
        default_factory=lambda: parse_pairs(DEFAULT_API_KEYS, "SIM_API_KEYS")
    )
    start_balance: Decimal = Decimal("10000")
    state_file: str | None = None
    # "fsync": a journal entry reaches the disk before the answer (survives power loss);
    # "write": it reaches the OS only (survives a killed process, not a crashed machine)
    state_sync: str = "fsync"
    seed: int | None = None
    ping_interval: float = 180.0
    pong_timeout: float = 600.0
    max_conn_seconds: float = 86400.0
    listen_key_ttl: float = 3600.0
    weight_limit: int = 2400
    tick_ms: int = 250
    spot_balances: dict[str, Decimal] = field(
        default_factory=lambda: parse_balances(DEFAULT_SPOT_BALANCES, "SIM_SPOT_BALANCES")
    )
    btcturk_keys: list[tuple[str, str]] = field(
        default_factory=lambda: parse_pairs(DEFAULT_BTCTURK_KEYS, "SIM_BTCTURK_KEYS")
    )
    btcturk_balances: dict[str, Decimal] = field(
        default_factory=lambda: parse_balances(DEFAULT_BTCTURK_BALANCES, "SIM_BTCTURK_BALANCES")
    )
    feed_running: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from SIM_* variables, then apply keyword overrides (tests use those)."""
        env = os.environ if env is None else env
        s = cls()
        readers: dict[str, tuple[str, Any]] = {
            "SIM_HOST": ("host", str),
            "SIM_PORT": ("port", int),
            "SIM_API_KEYS": ("api_keys", lambda v: parse_pairs(v, "SIM_API_KEYS")),
            "SIM_START_BALANCE": ("start_balance", Decimal),
            "SIM_STATE_FILE": ("state_file", str),
            "SIM_STATE_SYNC": ("state_sync", str),
            "SIM_SEED": ("seed", int),
            "SIM_PING_INTERVAL": ("ping_interval", float),
            "SIM_PONG_TIMEOUT": ("pong_timeout", float),
            "SIM_MAX_CONN_SECONDS": ("max_conn_seconds", float),
            "SIM_LISTEN_KEY_TTL": ("listen_key_ttl", float),
            "SIM_WEIGHT_LIMIT": ("weight_limit", int),
            "SIM_TICK_MS": ("tick_ms", int),
            "SIM_SPOT_BALANCES": (
                "spot_balances",
                lambda v: parse_balances(v, "SIM_SPOT_BALANCES"),
            ),
            "SIM_BTCTURK_KEYS": ("btcturk_keys", lambda v: parse_pairs(v, "SIM_BTCTURK_KEYS")),
            "SIM_BTCTURK_BALANCES": (
                "btcturk_balances",
                lambda v: parse_balances(v, "SIM_BTCTURK_BALANCES"),
            ),
            "SIM_FEED_RUNNING": ("feed_running", lambda v: v.lower() in ("1", "true", "yes")),
        }
        for var, (name, conv) in readers.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                setattr(s, name, conv(raw))
            except (ValueError, InvalidOperation) as exc:
                raise ConfigError(f"{var}={raw!r}: {exc}") from exc
        known = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise ConfigError(f"unknown setting {name!r}")
            if name in ("api_keys", "btcturk_keys") and isinstance(value, str):
                value = parse_pairs(value, name)
            elif name in ("spot_balances", "btcturk_balances") and isinstance(value, str):
                value = parse_balances(value, name)
            elif name == "start_balance":
                value = Decimal(str(value))
            setattr(s, name, value)
        if not s.api_keys:
            raise ConfigError("SIM_API_KEYS: at least one key is needed")
        if s.state_sync not in ("fsync", "write"):
            raise ConfigError(f"SIM_STATE_SYNC must be fsync or write, not {s.state_sync!r}")
        if s.tick_ms <= 0 or s.weight_limit <= 0:
            raise ConfigError("SIM_TICK_MS and SIM_WEIGHT_LIMIT must be positive")
        return s
