"""The strategy document: a small structured rule language the backtester evaluates.

VERSION 1 is the canonical form `strategies/documents.py` normalizes and `strategies/engine.py`
evaluates (the copilot writes it; the strategies app reads it; neither imports the other):

    {
      "version": 1,
      "name": "BTCUSDT 4h trend following (RSI + MACD)",
      "symbol": "BTCUSDT",                      # a USD-M symbol
      "timeframe": "4h",                        # 15m 30m 1h 4h 1d (and 1m..12h)
      "side": "long",                           # or "short": the direction the entry opens
      "strategy_type": "trend_following",       # trend_following | mean_reversion | breakout
                                                # | momentum (descriptive)
      "indicators": [                           # id: how rules name it; type: one of INDICATORS
        {"id": "rsi", "type": "RSI", "params": {"period": 14}},
        {"id": "macd", "type": "MACD", "params": {"fast": 12, "slow": 26, "signal": 9}}
      ],
      "entry": {"logic": "all", "rules": [      # logic: all (AND) | any (OR)
        {"left": "macd.macd", "op": "crosses_above", "right": "macd.signal"},
        {"left": "rsi", "op": ">", "right": 50}
      ]},
      "exit": {"logic": "any", "rules": [...]},
      "stop_loss_pct": 2.0,                     # percent of entry price, 0 < x < 100, optional
      "take_profit_pct": 4.0,                   # optional
      "position_size": {"type": "fixed_notional", "value": 100},   # USD; <= max notional
      "risk": {"max_notional_usd": "100", "leverage": 1},          # the limits it respects
      "description": "...", "source": {"prompt": "...", "lang": "tr"}
    }

A rule is `{"left": operand, "op": OP, "right": operand}`. An operand is a number, a price
column (open, high, low, close, volume), an indicator id (its main output) or "id.output"
(OUTPUTS below: "macd.signal", "bb.upper", "stoch.k"). OPS: > < >= <= crosses_above
crosses_below. `position_size.type` is fixed_notional (USD), fixed_qty or percent_equity.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

VERSION = 1
TIMEFRAMES = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
STRATEGY_TYPES = ("trend_following", "mean_reversion", "breakout", "momentum")
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
OPS = (">", "<", ">=", "<=", "crosses_above", "crosses_below")
SIZE_TYPES = ("fixed_notional", "fixed_qty", "percent_equity")
# indicator type -> default params and outputs (the first output is the main one)
INDICATORS: dict[str, dict] = {
    "RSI": {"params": {"period": 14}, "outputs": ("value",)},
    "MACD": {
        "params": {"fast": 12, "slow": 26, "signal": 9},
        "outputs": ("macd", "signal", "hist"),
    },
    "EMA": {"params": {"period": 20}, "outputs": ("value",)},
    "SMA": {"params": {"period": 20}, "outputs": ("value",)},
    "BB": {"params": {"period": 20, "std": 2.0}, "outputs": ("middle", "upper", "lower")},
    "ATR": {"params": {"period": 14}, "outputs": ("value",)},
    "STOCH": {"params": {"period": 14, "d": 3}, "outputs": ("k", "d")},
}


def _operand_errors(value, ids: dict[str, str], where: str) -> list[str]:
    if isinstance(value, bool):
        return [f"{where}: a boolean is not an operand"]
    if isinstance(value, int | float):
        return []
    if not isinstance(value, str) or not value:
        return [f"{where}: operand must be a number or a name"]
    name = value.lower()
    if name in PRICE_COLUMNS:
        return []
    head, _, output = name.partition(".")
    if head not in ids:
        return [f"{where}: unknown operand {value!r}"]
    if output and output not in INDICATORS[ids[head]]["outputs"]:
        return [f"{where}: {ids[head]} has no output {output!r}"]
    return []


def _block_errors(block, ids: dict[str, str], where: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"{where} must be an object with logic and rules"]
    errors = []
    if block.get("logic", "all") not in ("all", "any"):
        errors.append(f"{where}.logic must be all or any")
    rules = block.get("rules")
    if not isinstance(rules, list) or not rules:
        return errors + [f"{where}.rules must be a non-empty list"]
    for n, rule in enumerate(rules):
        at = f"{where}.rules[{n}]"
        if not isinstance(rule, dict) or not {"left", "op", "right"} <= set(rule):
            errors.append(f"{at} needs left, op and right")
            continue
        if rule["op"] not in OPS:
            errors.append(f"{at}.op {rule['op']!r} is not one of {', '.join(OPS)}")
        errors += _operand_errors(rule["left"], ids, f"{at}.left")
        errors += _operand_errors(rule["right"], ids, f"{at}.right")
    return errors


def validate(doc, *, max_notional_usd: Decimal | None = None) -> list[str]:  # noqa: C901
    """Return every problem of a strategy document (empty list: valid)."""
    if not isinstance(doc, dict):
        return ["a strategy document is a JSON object"]
    errors: list[str] = []
    if doc.get("version") != VERSION:
        errors.append(f"version must be {VERSION}")
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        errors.append("name is required")
    symbol = doc.get("symbol")
    if not isinstance(symbol, str) or not symbol.isalnum() or not symbol.isupper():
        errors.append("symbol must be an upper-case symbol like BTCUSDT")
    if doc.get("timeframe") not in TIMEFRAMES:
        errors.append(f"timeframe must be one of {', '.join(TIMEFRAMES)}")
    if doc.get("side", "long") not in ("long", "short"):
        errors.append("side must be long or short")
    if "strategy_type" in doc and doc["strategy_type"] not in STRATEGY_TYPES:
        errors.append(f"strategy_type must be one of {', '.join(STRATEGY_TYPES)}")
    ids: dict[str, str] = {}
    indicators = doc.get("indicators")
    if not isinstance(indicators, list):
        errors.append("indicators must be a list")
        indicators = []
    for n, ind in enumerate(indicators):
        at = f"indicators[{n}]"
        if not isinstance(ind, dict):
            errors.append(f"{at} must be an object")
            continue
        kind = ind.get("type")
        ident = str(ind.get("id") or "").lower()
        if kind not in INDICATORS:
            errors.append(f"{at}.type must be one of {', '.join(INDICATORS)}")
            continue
        if not ident or not ident.replace("_", "").isalnum():
            errors.append(f"{at}.id must be a short name")
            continue
        if ident in ids or ident in PRICE_COLUMNS:
            errors.append(f"{at}.id {ident!r} is used twice")
        ids[ident] = kind
        params = ind.get("params") or {}
        if not isinstance(params, dict):
            errors.append(f"{at}.params must be an object")
            continue
        for key, value in params.items():
            if key not in INDICATORS[kind]["params"]:
                errors.append(f"{at}.params.{key} is not a parameter of {kind}")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                errors.append(f"{at}.params.{key} must be a positive number")
        if kind == "MACD" and params.get("fast", 12) >= params.get("slow", 26):
            errors.append(f"{at}: MACD fast must be below slow")
    errors += _block_errors(doc.get("entry"), ids, "entry")
    errors += _block_errors(doc.get("exit"), ids, "exit")
    for key in ("stop_loss_pct", "take_profit_pct"):
        value = doc.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 100:
            errors.append(f"{key} must be a number between 0 and 100")
    size = doc.get("position_size")
    if not isinstance(size, dict) or size.get("type") not in SIZE_TYPES:
        errors.append(f"position_size.type must be one of {', '.join(SIZE_TYPES)}")
    else:
        value = size.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append("position_size.value must be a positive number")
        elif size["type"] == "fixed_notional" and max_notional_usd is not None:
            try:
                if Decimal(str(value)) > max_notional_usd:
                    errors.append(
                        f"position_size.value {value} USD is above the max notional "
                        f"{max_notional_usd} USD"
                    )
            except InvalidOperation:
                errors.append("position_size.value must be a number")
        elif size["type"] == "percent_equity" and value > 100:
            errors.append("position_size.value (percent of equity) must be at most 100")
    return errors
