"""The strategy document the engine reads: a plain dict, validated and normalized here.

Canonical form (version 1):

    {
      "version": 1, "name": "EMA cross", "symbol": "BTCUSDT", "timeframe": "1h",
      "side": "long",                                   # or "short"
      "indicators": [{"id": "fast", "type": "EMA", "params": {"period": 10}}, ...],
      "entry": {"logic": "all", "rules": [{"left": "fast", "op": "crosses_above",
                                            "right": "slow"}]},
      "exit":  {"logic": "any", "rules": [...]},
      "stop_loss_pct": 2.0, "take_profit_pct": 4.0,     # optional
      "position_size": {"type": "percent_equity" | "fixed_qty" | "fixed_notional",
                        "value": 10}
    }

Operands are numbers, price columns (open/high/low/close/volume), an indicator id (its main
output) or "id.output" (e.g. "macd.signal", "bb.upper"). Operators: > < >= <=,
crosses_above, crosses_below. Lists of rules may also be given bare (a list means "all").
Parameters are addressed by dotted paths for optimization and proposals:
"fast.period", "stop_loss_pct", "position_size.value".
"""

from __future__ import annotations

import copy

from spark_site.errors import ValidationFailed
from strategies import indicators

INTERVALS = {
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
}
SIZE_TYPES = ("percent_equity", "fixed_qty", "fixed_notional")
OPS = (">", "<", ">=", "<=", "gt", "lt", "gte", "lte", "crosses_above", "crosses_below")


def _bad(message: str, params: dict | None = None, **details) -> ValidationFailed:
    """message: English, or with params a catalogue template (Turkish with the values)."""
    return ValidationFailed(message, details=details, code="INVALID_STRATEGY", params=params)


def _rules(block, where: str) -> dict:
    if isinstance(block, list):
        block = {"logic": "all", "rules": block}
    if not isinstance(block, dict):
        raise _bad("%(where)s must be a rule block", {"where": where}, field=where)
    logic = block.get("logic", "all")
    if logic not in ("all", "any"):
        raise _bad("%(where)s.logic must be all or any", {"where": where}, field=where)
    rules = block.get("rules") or []
    out = []
    for r in rules:
        if not isinstance(r, dict) or not {"left", "op", "right"} <= set(r):
            raise _bad(
                "each %(where)s rule needs left, op and right", {"where": where}, field=where
            )
        if r["op"] not in OPS:
            raise _bad("unknown operator %(value)r", {"value": r["op"]}, field=where)
        out.append({"left": r["left"], "op": r["op"], "right": r["right"]})
    return {"logic": logic, "rules": out}


def normalize(doc: dict) -> dict:
    """Return the canonical copy of doc, or raise ValidationFailed naming the bad field."""
    if not isinstance(doc, dict):
        raise _bad("a strategy document is a JSON object")
    if "rules" in doc and "entry" not in doc:  # copilot drafts may nest the rules
        doc = {**doc, **doc["rules"]}
    d = copy.deepcopy(doc)
    out: dict = {
        "version": int(d.get("version", 1)),
        "name": str(d.get("name") or "strategy"),
        "symbol": str(d.get("symbol") or "BTCUSDT").upper(),
        "timeframe": str(d.get("timeframe") or d.get("interval") or "1h"),
        "side": str(d.get("side") or "long").lower(),
    }
    if out["timeframe"] not in INTERVALS:
        raise _bad("unknown timeframe %(value)r", {"value": out["timeframe"]}, field="timeframe")
    if out["side"] not in ("long", "short"):
        raise _bad("side must be long or short", field="side")
    inds = []
    seen = set()
    for raw in d.get("indicators") or []:
        kind = str(raw.get("type") or raw.get("name") or "").upper()
        kind = indicators.ALIASES.get(kind, kind)
        if kind not in indicators.REGISTRY:
            raise _bad("unknown indicator %(value)r", {"value": kind}, field="indicators")
        ident = str(raw.get("id") or kind.lower())
        if ident.lower() in seen:
            raise _bad("duplicate indicator id %(value)r", {"value": ident}, field="indicators")
        seen.add(ident.lower())
        params = dict(raw.get("params") or {})
        for k, v in params.items():
            if not isinstance(v, int | float) or isinstance(v, bool) or v <= 0:
                raise _bad(
                    "%(field)s must be a positive number",
                    {"field": f"{ident}.{k}"},
                    field=f"{ident}.{k}",
                )
        inds.append({"id": ident, "type": kind, "params": params})
    out["indicators"] = inds
    out["entry"] = _rules(d.get("entry") or {"rules": []}, "entry")
    out["exit"] = _rules(d.get("exit") or {"rules": []}, "exit")
    if not out["entry"]["rules"]:
        raise _bad("the strategy needs at least one entry rule", field="entry")
    for key in ("stop_loss_pct", "take_profit_pct"):
        v = d.get(key)
        if v in (None, 0, "0"):
            out[key] = None
            continue
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise _bad("%(field)s must be a number", {"field": key}, field=key) from None
        if not 0 < v < 100:
            raise _bad("%(field)s must be between 0 and 100", {"field": key}, field=key)
        out[key] = v
    size = d.get("position_size") or {"type": "percent_equity", "value": 10}
    if isinstance(size, int | float):
        size = {"type": "percent_equity", "value": size}
    if size.get("type") not in SIZE_TYPES:
        raise _bad(
            "position_size.type must be one of %(allowed)s",
            {"allowed": ", ".join(SIZE_TYPES)},
            field="size",
        )
    try:
        value = float(size.get("value"))
    except (TypeError, ValueError):
        raise _bad("position_size.value must be a number", field="position_size.value") from None
    if value <= 0:
        raise _bad("position_size.value must be positive", field="position_size.value")
    out["position_size"] = {"type": size["type"], "value": value}
    # descriptive fields of the copilot's schema travel along untouched
    for key in ("strategy_type", "description", "risk", "source"):
        if key in d:
            out[key] = d[key]
    return out


def get_param(doc: dict, path: str):
    """Read a parameter by dotted path ("fast.period", "stop_loss_pct")."""
    head, _, rest = path.partition(".")
    for ind in doc["indicators"]:
        if ind["id"].lower() == head.lower() and rest:
            default = indicators.REGISTRY[ind["type"]]["params"].get(rest)
            return ind["params"].get(rest, default)
    if head == "position_size":
        return doc["position_size"].get(rest)
    if head in doc and not rest:
        return doc[head]
    raise _bad("unknown parameter %(value)r", {"value": path}, field=path)


def with_params(doc: dict, params: dict) -> dict:
    """Return a copy of doc with the dotted-path parameters replaced."""
    out = copy.deepcopy(doc)
    for path, value in params.items():
        head, _, rest = path.partition(".")
        for ind in out["indicators"]:
            if ind["id"].lower() == head.lower() and rest:
                ind["params"][rest] = value
                break
        else:
            if head == "position_size" and rest:
                out["position_size"][rest] = value
            elif head in ("stop_loss_pct", "take_profit_pct") and not rest:
                out[head] = value
            else:
                raise _bad("unknown parameter %(value)r", {"value": path}, field=path)
    return normalize(out)


def params_of(doc: dict) -> dict:
    """Flatten every tunable parameter of doc to {dotted path: value}."""
    out = {}
    for ind in doc["indicators"]:
        merged = {**indicators.REGISTRY[ind["type"]]["params"], **ind["params"]}
        for k, v in merged.items():
            out[f"{ind['id']}.{k}"] = v
    for key in ("stop_loss_pct", "take_profit_pct"):
        out[key] = doc.get(key)
    out["position_size.value"] = doc["position_size"]["value"]
    return out


def ema_cross(fast: int = 10, slow: int = 30, **extra) -> dict:
    """A ready EMA-cross document (tests, bench, the page's example)."""
    return normalize(
        {
            "name": f"EMA {fast}/{slow} cross",
            "symbol": extra.pop("symbol", "BTCUSDT"),
            "timeframe": extra.pop("timeframe", "1h"),
            "indicators": [
                {"id": "fast", "type": "EMA", "params": {"period": fast}},
                {"id": "slow", "type": "EMA", "params": {"period": slow}},
            ],
            "entry": {"rules": [{"left": "fast", "op": "crosses_above", "right": "slow"}]},
            "exit": {"rules": [{"left": "fast", "op": "crosses_below", "right": "slow"}]},
            **extra,
        }
    )
