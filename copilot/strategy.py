"""Turn a strategy idea ("BTC 4 saatlik RSI ve MACD ile trend takip") into a strategy document.

The document follows `copilot/strategy_schema.py` (version 1); the generator picks the symbol,
timeframe, indicators with suggested parameters, the strategy type, explicit entry and exit rules,
stop-loss / take-profit and a position size under the max notional.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings

from copilot import strategy_schema
from copilot.parser import PageContext, analyze, detect_lang
from copilot.text import fold

# indicator type -> folded words that name it (checked as whole words / phrases)
_INDICATOR_WORDS = {
    "RSI": ("rsi", "goreceli guc", "relative strength"),
    "MACD": ("macd",),
    "EMA": ("ema", "ustel hareketli ortalama", "exponential moving average", "ustel ortalama"),
    "SMA": (
        "sma",
        "basit hareketli ortalama",
        "simple moving average",
        "hareketli ortalama",
        "moving average",
        "ma",
    ),
    "BB": ("bollinger", "bb", "bbands", "bollinger bantlari", "bollinger bands"),
    "ATR": ("atr", "average true range", "ortalama gercek aralik", "volatilite", "volatility"),
    "STOCH": ("stochastic", "stoch", "stokastik", "stochastik", "stokastic"),
}
_TYPE_WORDS = {
    "trend_following": (
        "trend takip",
        "trend takibi",
        "trend following",
        "trend follow",
        "trend",
        "trendi takip",
        "egilim",
    ),
    "mean_reversion": (
        "ortalamaya donus",
        "ortalamaya geri donus",
        "mean reversion",
        "mean-reversion",
        "revert",
        "geri donus",
        "tepki",
        "asiri satim",
        "oversold",
        "asiri alim",
        "overbought",
        "dip avcisi",
        "dipten",
    ),
    "breakout": ("kirilim", "kirilma", "breakout", "break out", "kirilimi", "direnc kirilimi"),
    "momentum": ("momentum", "ivme"),
}
_DEFAULT_INDICATORS = {
    "trend_following": ["EMA", "EMA"],
    "mean_reversion": ["RSI", "BB"],
    "breakout": ["BB", "ATR"],
    "momentum": ["RSI", "MACD"],
}
_STOP_BY_TIMEFRAME = {"15m": 1.0, "30m": 1.2, "1h": 1.5, "4h": 2.5, "1d": 4.0}
_TYPE_NAMES = {
    "trend_following": ("trend takip", "trend following"),
    "mean_reversion": ("ortalamaya dönüş", "mean reversion"),
    "breakout": ("kırılım", "breakout"),
    "momentum": ("momentum", "momentum"),
}


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}", text) is not None


def _timeframe(text: str) -> str | None:
    m = re.search(r"(\d+)\s*(?:m|dk|dakika\w*|min\w*)\b", text)
    if m and m.group(1) in ("15", "30"):
        return f"{m.group(1)}m"
    m = re.search(r"(\d+)\s*(?:h|sa|saat\w*|hour\w*|hr\w*)\b", text)
    if m and m.group(1) in ("1", "4"):
        return f"{m.group(1)}h"
    if re.search(r"\b(?:1d|d1|gunluk|gun|daily|day|gunluk mum)\b", text):
        return "1d"
    if re.search(r"\b(?:saatlik|hourly|saatlikte)\b", text):
        return "1h"
    if re.search(r"\b(?:ceyrek saat\w*|quarter.hour)\b", text):
        return "15m"
    if re.search(r"\b(?:yarim saat\w*|half.hour\w*)\b", text):
        return "30m"
    return None


_UNIT_AFTER = re.compile(
    r"(?:'\w+)?\s*(?:usd|usdt|dolar|\$|%|x\b|saat|sa\b|h\b|m\b|dk|dakika|gun|d\b|hour|min"
    r"|altin|ustun|uzerin|below|under|above|over|asagi|yukari)"
)
# "RSI 30 altında al 70 üstünde sat" / "buy RSI below 30, sell above 70": levels, not a period.
_RSI_BELOW = re.compile(
    r"\brsi\b[^0-9]{0,12}?(\d{1,2})(?:'\w+)?\s*(?:altin\w*|below|under)|"
    r"\brsi\b[^0-9]{0,12}?(?:below|under)\s*(\d{1,2})"
)
_LEVEL_ABOVE = re.compile(
    r"(\d{1,2})(?:'\w+)?\s*(?:ustun\w*|uzerin\w*|above|over)|(?:above|over)\s*(\d{1,2})"
)


def _rsi_levels(text: str) -> tuple[int, int] | None:
    """(buy below, sell above) when the idea names RSI levels, else None."""
    below = _RSI_BELOW.search(text)
    if not below:
        return None
    low = int(below.group(1) or below.group(2))
    above = _LEVEL_ABOVE.search(text, below.end())
    high = int(above.group(1) or above.group(2)) if above else 100 - low
    return (low, high) if 0 < low < high < 100 else None


def _numbers_after(tail: str) -> list[int]:
    """Whole numbers written right after an indicator name: 'EMA 9 21', 'RSI(7)', 'BB 20/2'."""
    numbers: list[int] = []
    pos = 0
    while len(numbers) < 3:
        # "EMA 9 21", "EMA 9 ve 21", "EMA 9 and 21", "BB 20/2"
        m = re.match(r"[\s(:=,/-]*(?:(?:ve|and|ile|&)\s+)?(\d+)(?![.,]?\d)", tail[pos:])
        if not m or _UNIT_AFTER.match(tail, pos + m.end()):
            break
        numbers.append(int(m.group(1)))
        pos += m.end()
    return numbers


def _indicators(text: str) -> list[tuple[str, list[int]]]:
    """Indicator types named in the text, in order, with numbers written right after them."""
    found: list[tuple[int, str, list[int]]] = []
    for kind, words in _INDICATOR_WORDS.items():
        for word in sorted(words, key=len, reverse=True):
            for m in re.finditer(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z])", text):
                if kind == "SMA" and word in ("hareketli ortalama", "moving average", "ma"):
                    before = text[max(0, m.start() - 12) : m.start()]
                    if "ustel" in before or "exponential" in before or "basit" in before:
                        continue
                if any(abs(p - m.start()) < 3 for p, _, _ in found):
                    continue
                numbers = _numbers_after(text[m.end() : m.end() + 24])
                found.append((m.start(), kind, numbers[:3]))
    found.sort()
    # EMA named twice, or with two periods ("EMA 20 50"), becomes a fast/slow pair
    return [(kind, numbers) for _, kind, numbers in found]


def _percent(text: str, words: tuple[str, ...]) -> float | None:
    for word in words:
        for pattern in (
            rf"{word}\w*\s*(?:%|yuzde)\s*(\d+(?:[.,]\d+)?)",
            rf"{word}\w*\s*(\d+(?:[.,]\d+)?)\s*%",
            rf"%\s*(\d+(?:[.,]\d+)?)(?:'\w+)?\s*{word}",
            rf"(\d+(?:[.,]\d+)?)\s*%\s*{word}",
            rf"{word}\w*\s*(\d+(?:[.,]\d+)?)\b",
        ):
            m = re.search(pattern, text)
            if m:
                value = float(m.group(1).replace(",", "."))
                if 0 < value < 100:
                    return value
    return None


def _requested_notional(text: str) -> Decimal | None:
    m = re.search(r"(\d+(?:[.,]\d+)?)\s*(?:usd|usdt|dolar\w*|\$)", text)
    if m:
        return Decimal(m.group(1).replace(",", "."))
    m = re.search(r"\$\s*(\d+(?:[.,]\d+)?)", text)
    if m:
        return Decimal(m.group(1).replace(",", "."))
    return None


def max_notional_usd() -> Decimal:
    return Decimal(str(getattr(settings, "SPARK_DEFAULT_MAX_NOTIONAL_USD", "100")))


def _build_indicators(kinds: list[tuple[str, list[int]]], stype: str) -> list[dict]:
    out: list[dict] = []
    ema_periods: list[int] = []
    for kind, numbers in kinds:
        if (
            kind in ("EMA", "SMA")
            and sum(1 for k, _ in kinds if k == kind) == 1
            and len(numbers) < 2
            and stype == "trend_following"
        ):
            numbers = numbers or []
            pair = numbers + [n for n in (20, 50) if n not in numbers]
            ema_periods = pair[:2]
            fast, slow = sorted(ema_periods)
            out.append({"id": f"{kind.lower()}_fast", "type": kind, "params": {"period": fast}})
            out.append({"id": f"{kind.lower()}_slow", "type": kind, "params": {"period": slow}})
            continue
        if kind in ("EMA", "SMA") and len(numbers) >= 2:
            fast, slow = sorted(numbers[:2])
            out.append({"id": f"{kind.lower()}_fast", "type": kind, "params": {"period": fast}})
            out.append({"id": f"{kind.lower()}_slow", "type": kind, "params": {"period": slow}})
            continue
        params = dict(strategy_schema.INDICATORS[kind]["params"])
        names = list(params)
        for name, value in zip(names, numbers, strict=False):
            if value > 0:
                params[name] = value
        if kind == "MACD" and params["fast"] >= params["slow"]:
            params = dict(strategy_schema.INDICATORS["MACD"]["params"])
        ident = kind.lower()
        taken = {i["id"] for i in out}
        if ident in taken:
            n = 2
            while f"{ident}{n}" in taken:
                n += 1
            ident = f"{ident}{n}"
        out.append({"id": ident, "type": kind, "params": params})
    if stype == "trend_following":
        # two plain EMAs (or SMAs) in a trend strategy are a fast/slow pair
        for kind in ("EMA", "SMA"):
            same = [
                i for i in out if i["type"] == kind and not i["id"].endswith(("_fast", "_slow"))
            ]
            if len(same) == 2:
                same.sort(key=lambda i: i["params"]["period"])
                if same[0]["params"]["period"] == same[1]["params"]["period"]:
                    same[0]["params"]["period"], same[1]["params"]["period"] = 20, 50
                same[0]["id"], same[1]["id"] = f"{kind.lower()}_fast", f"{kind.lower()}_slow"
    return out


def _rules_long(
    indicators: list[dict], stype: str, rsi_levels: tuple[int, int] | None = None
) -> tuple[list[dict], list[dict]]:
    """(entry rules, exit rules) for a long strategy of this type over these indicators."""
    entry: list[dict] = []
    exit_: list[dict] = []
    ids = {i["id"]: i for i in indicators}

    def rule(left, op, right):
        return {"left": left, "op": op, "right": right}

    for kind in ("EMA", "SMA"):
        if f"{kind.lower()}_fast" in ids:
            f, s = f"{kind.lower()}_fast", f"{kind.lower()}_slow"
            if stype == "mean_reversion":
                entry.append(rule("close", "<", s))
                exit_.append(rule("close", ">", f))
            else:
                entry.append(rule(f, "crosses_above", s))
                exit_.append(rule(f, "crosses_below", s))
    for ind in indicators:
        i, kind = ind["id"], ind["type"]
        if i.endswith(("_fast", "_slow")):
            continue
        if kind == "RSI":
            if rsi_levels:
                entry.append(rule(i, "<", rsi_levels[0]))
                exit_.append(rule(i, ">", rsi_levels[1]))
            elif stype == "mean_reversion":
                entry.append(rule(i, "<", 30))
                exit_.append(rule(i, ">", 55))
            elif stype == "breakout":
                entry.append(rule(i, ">", 55))
                exit_.append(rule(i, "<", 45))
            elif stype == "momentum":
                entry.append(rule(i, "crosses_above", 55))
                exit_.append(rule(i, "crosses_below", 45))
            else:
                entry.append(rule(i, ">", 50))
                exit_.append(rule(i, "<", 40))
        elif kind == "MACD":
            if stype in ("trend_following", "mean_reversion"):
                entry.append(rule(f"{i}.macd", "crosses_above", f"{i}.signal"))
                exit_.append(rule(f"{i}.macd", "crosses_below", f"{i}.signal"))
            else:
                entry.append(rule(f"{i}.hist", ">", 0))
                exit_.append(rule(f"{i}.hist", "<", 0))
        elif kind in ("EMA", "SMA"):
            if stype == "mean_reversion":
                entry.append(rule("close", "<", i))
                exit_.append(rule("close", ">", i))
            elif stype == "breakout":
                entry.append(rule("close", "crosses_above", i))
                exit_.append(rule("close", "crosses_below", i))
            else:
                entry.append(rule("close", ">", i))
                exit_.append(rule("close", "<", i))
        elif kind == "BB":
            if stype == "mean_reversion":
                entry.append(rule("close", "<", f"{i}.lower"))
                exit_.append(rule("close", ">", f"{i}.middle"))
            elif stype == "breakout":
                entry.append(rule("close", "crosses_above", f"{i}.upper"))
                exit_.append(rule("close", "<", f"{i}.middle"))
            else:
                entry.append(rule("close", ">", f"{i}.middle"))
                exit_.append(rule("close", "<", f"{i}.middle"))
        elif kind == "STOCH":
            if stype == "mean_reversion":
                entry.append(rule(f"{i}.k", "<", 20))
                exit_.append(rule(f"{i}.k", ">", 80))
            else:
                entry.append(rule(f"{i}.k", "crosses_above", f"{i}.d"))
                exit_.append(rule(f"{i}.k", "crosses_below", f"{i}.d"))
        # ATR sizes the stop (see _risk); it adds no signal
    if not entry:  # only ATR: trade the close against its 20-bar average
        indicators.append({"id": "sma", "type": "SMA", "params": {"period": 20}})
        entry.append(rule("close", "crosses_above", "sma"))
        exit_.append(rule("close", "crosses_below", "sma"))
    return entry, exit_


_MIRROR_OP = {
    ">": "<",
    "<": ">",
    ">=": "<=",
    "<=": ">=",
    "crosses_above": "crosses_below",
    "crosses_below": "crosses_above",
}
_MIRROR_OUT = {"upper": "lower", "lower": "upper"}


def _mirror_operand(value, ids: dict[str, str]):
    if isinstance(value, int | float):
        return value  # thresholds are mirrored by the caller with the indicator's scale
    head, _, out = value.partition(".")
    if out in _MIRROR_OUT:
        return f"{head}.{_MIRROR_OUT[out]}"
    return value


def _mirror(rules: list[dict], ids: dict[str, str]) -> list[dict]:
    """The short-side version of long rules: inverted comparisons, mirrored bands and levels."""
    out = []
    for r in rules:
        left, right = _mirror_operand(r["left"], ids), _mirror_operand(r["right"], ids)
        head = str(r["left"]).partition(".")[0]
        if isinstance(right, int | float) and ids.get(head) in ("RSI", "STOCH"):
            right = 100 - right
        elif isinstance(right, int | float) and ids.get(head) == "MACD":
            right = -right
        out.append({"left": left, "op": _MIRROR_OP[r["op"]], "right": right})
    return out


def generate(prompt: str, *, lang: str | None = None, max_notional: Decimal | None = None) -> dict:
    """Return {"strategy": document, "errors": [...], "lang", "notes": [...]} for an idea."""
    text = fold(prompt or "")
    s = analyze(prompt or "")
    lang = lang or detect_lang(s, PageContext())
    notes: list[str] = []
    symbol = s.first_symbol() or "BTCUSDT"
    timeframe = _timeframe(text) or "1h"
    stype = None
    for candidate, words in _TYPE_WORDS.items():
        if any(_has_phrase(text, w) for w in words):
            stype = stype or candidate
    # "kırılım" with "trend" is a breakout; "momentum" beats a bare "trend"
    if _has_phrase(text, "momentum") or _has_phrase(text, "ivme"):
        stype = "momentum"
    if any(_has_phrase(text, w) for w in _TYPE_WORDS["breakout"]):
        stype = "breakout"
    if any(_has_phrase(text, w) for w in _TYPE_WORDS["mean_reversion"]):
        stype = "mean_reversion"
    named = _indicators(text)
    trend_filter = _trend_filter(text)
    if trend_filter is not None:
        # the filter's moving average is not a signal of its own: drop it from the signals
        kind, period = trend_filter
        named = [(k, n) for k, n in named if not (k == kind and (n[:1] == [period] or not n))]
        if not named and stype in (None, "trend_following"):
            stype = stype or "trend_following"
    levels = _rsi_levels(text)
    if levels:
        # Buying low and selling high on RSI levels is mean reversion; "sat" is the exit here.
        stype = "mean_reversion"
    if stype is None:
        kinds = {k for k, _ in named}
        if kinds & {"BB", "STOCH"} and "MACD" not in kinds:
            stype = "mean_reversion"
        else:
            stype = "trend_following"
    defaults: list[tuple[str, str]] = []
    if not named:
        named = [(k, []) for k in _DEFAULT_INDICATORS[stype]]
        if stype == "trend_following":
            named = [("EMA", [20, 50])]
        defaults.append(("indicators", " + ".join(k for k, _ in named)))
    indicators = _build_indicators(named, stype)
    short_words = re.search(_SHORT, text)
    side = "short" if (s.has("sell") or short_words) else "long"
    if levels and not short_words:
        side = "long"
    if side == "long" and not (s.has("buy") or levels):
        defaults.append(("side", "long"))
    entry, exit_ = _rules_long(indicators, stype, levels)
    macd_sign = _macd_sign(text)
    if macd_sign is not None:
        # "MACD negatif olunca" / "MACD positive": the sign of the MACD line is the signal
        macd = next((i["id"] for i in indicators if i["type"] == "MACD"), None)
        if macd is not None:
            want = ">" if macd_sign > 0 else "<"
            entry = [r for r in entry if not str(r["left"]).startswith(macd)]
            exit_ = [r for r in exit_ if not str(r["left"]).startswith(macd)]
            entry.append({"left": f"{macd}.macd", "op": want, "right": 0})
            exit_.append({"left": f"{macd}.macd", "op": _MIRROR_OP[want], "right": 0})
            if macd_sign < 0 and not s.has("buy"):
                side = side if short_words or s.has("sell") else side
    ids = {i["id"]: i["type"] for i in indicators}
    if side == "short" and macd_sign is None:
        entry, exit_ = _mirror(entry, ids), _mirror(exit_, ids)
    elif side == "short":
        macd_rules = [r for r in entry + exit_ if str(r["left"]).endswith(".macd")]
        entry = [r if r in macd_rules else _mirror([r], ids)[0] for r in entry]
        exit_ = [r if r in macd_rules else _mirror([r], ids)[0] for r in exit_]
    if trend_filter is not None:
        kind, period = trend_filter
        ident = f"{kind.lower()}_trend"
        indicators.append({"id": ident, "type": kind, "params": {"period": period}})
        # a trend filter only lets entries through on the trend's side; it is no exit
        entry.append({"left": "close", "op": ">" if side == "long" else "<", "right": ident})

    stop_words = ("stop loss", "stoploss", "zarar durdur", "zarar kes", "zararda dur", "stop", "sl")
    stop = _percent(text, stop_words)
    take = _percent(text, ("take profit", "takeprofit", "kar al", "tp", "hedef", "target"))
    if not _timeframe(text):
        defaults.append(("timeframe", timeframe))
    if stop is None:
        defaults.append(("stop_loss_pct", str(_STOP_BY_TIMEFRAME.get(timeframe, 1.5))))
    if take is None:
        defaults.append(("take_profit_pct", "2 × stop"))
    stop = stop or _STOP_BY_TIMEFRAME.get(timeframe, 1.5)
    if "ATR" in ids.values() and stop == _STOP_BY_TIMEFRAME.get(timeframe, 1.5):
        stop = round(stop * 1.2, 2)  # ATR in the idea: a volatility-sized, wider stop
    take = take or round(stop * 2, 2)
    # the live limit when the page read it from GET /futures/risk/status, else the default
    cap = max_notional if max_notional and max_notional > 0 else max_notional_usd()
    notional = _requested_notional(text) or cap
    if notional > cap:
        notes.append(
            (
                "İstenen pozisyon {0} USD, risk limiti {1} USD: {1} USD kullanıldı."
                if lang == "tr"
                else "Requested size {0} USD is above the {1} USD risk limit: {1} USD used."
            ).format(notional, cap)
        )
        notional = cap
    leverage = 1
    m = re.search(r"(\d+)\s*x\b", text)
    if m and 1 <= int(m.group(1)) <= 125:
        leverage = int(m.group(1))
    type_tr, type_en = _TYPE_NAMES[stype]
    ind_names = " + ".join(dict.fromkeys(i["type"] for i in indicators))
    name = f"{symbol} {timeframe} {type_tr if lang == 'tr' else type_en} ({ind_names})"
    doc = {
        "version": strategy_schema.VERSION,
        "name": name,
        "symbol": symbol,
        "timeframe": timeframe,
        "side": side,
        "strategy_type": stype,
        "indicators": indicators,
        "entry": {"logic": "all", "rules": entry},
        "exit": {"logic": "any", "rules": exit_},
        "stop_loss_pct": float(stop),
        "take_profit_pct": float(take),
        "position_size": {"type": "fixed_notional", "value": float(notional)},
        "risk": {"max_notional_usd": str(cap), "leverage": leverage},
        "source": {"prompt": (prompt or "")[:500], "lang": lang},
    }
    if defaults:
        names = ", ".join(_default_text(f, v, lang) for f, v in defaults)
        notes.append(
            f"Varsayılan kullanıldı: {names}." if lang == "tr" else f"Defaults used: {names}."
        )
    return {
        "strategy": doc,
        "errors": strategy_schema.validate(doc, max_notional_usd=cap),
        "lang": lang,
        "notes": notes,
        "trace": _trace(prompt or "", doc, trend_filter, levels, defaults),
    }


_SHORT = r"\b(?:short|kisa pozisyon|kisa|aciga sat\w*|aciga|dusus|bearish|asagi yonlu)\b"
_FIELD_NAMES = {
    "indicators": ("göstergeler", "indicators"),
    "timeframe": ("zaman dilimi", "timeframe"),
    "side": ("yön", "side"),
    "stop_loss_pct": ("zarar durdur", "stop loss"),
    "take_profit_pct": ("kâr al", "take profit"),
}


def _default_text(field: str, value: str, lang: str) -> str:
    """'zarar durdur %1,5', 'kâr al: zarar durdurun 2 katı', 'zaman dilimi 1h'."""
    tr = lang == "tr"
    name = _FIELD_NAMES[field][0 if tr else 1]
    if field == "stop_loss_pct":
        return f"{name} %{value.replace('.', ',')}" if tr else f"{name} {value}%"
    if field == "take_profit_pct":
        return f"{name}: zarar durdurun 2 katı" if tr else f"{name}: twice the stop loss"
    if field == "side":
        return f"{name} long (alış)" if tr else f"{name} long"
    return f"{name} {value}"


def _trend_filter(text: str) -> tuple[str, int] | None:
    """'EMA 50 trend filtresi', 'trend filter EMA 200' → ("EMA", 50)."""
    m = re.search(r"\b(ema|sma)\s*(\d{1,3})(?:'\w+)?\s*(?:ile\s+)?trend\s*filt", text) or re.search(
        r"trend\s*filt\w*\s*(?:olarak\s+)?(ema|sma)\s*(\d{1,3})", text
    )
    if not m:
        return None
    return m.group(1).upper(), int(m.group(2))


def _macd_sign(text: str) -> int | None:
    """+1 for 'MACD pozitif/positive/sıfırın üstünde', -1 for negatif/negative/altında."""
    m = re.search(r"\bmacd\b\W*(\w+)(?:\s+(\w+))?", text)
    if not m:
        return None
    words = " ".join(w for w in m.groups() if w)
    if re.search(r"negatif|negative|sifirin alt|below zero|eksi", words):
        return -1
    if re.search(r"pozitif|positive|sifirin ust|above zero|arti", words):
        return 1
    return None


def _trace(prompt, doc, trend_filter, levels, defaults) -> list[dict]:
    """Each value of the document with the words of the idea it came from ("" for a default)."""
    text = fold(prompt)
    default_fields = {f for f, _ in defaults}

    def words_for(pattern: str) -> str:
        m = re.search(pattern, text)
        return prompt[m.start() : m.end()] if m else ""

    rows = [
        {"field": "symbol", "value": doc["symbol"], "words": words_for(doc["symbol"][:-4].lower())},
        {
            "field": "timeframe",
            "value": doc["timeframe"],
            "words": ""
            if "timeframe" in default_fields
            else words_for(
                r"\d+\s*(?:m|dk|dakika\w*|h|sa|saat\w*|hour\w*)\b|gunluk|daily|saatlik|hourly"
            ),
        },
        {
            "field": "side",
            "value": doc["side"],
            "words": words_for(_SHORT + r"|\blong\b|\bal\b|\bbuy\b"),
        },
    ]
    for ind in doc["indicators"]:
        kind = ind["type"].lower()
        rows.append(
            {
                "field": f"indicators.{ind['id']}",
                "value": ind["params"],
                "words": ""
                if "indicators" in default_fields
                else words_for(rf"\b{kind}\b(?:[\s(:=,/-]*(?:(?:ve|and)\s+)?\d+(?![\d']))*"),
            }
        )
    if levels:
        rows.append(
            {"field": "entry", "value": levels[0], "words": words_for(rf"{levels[0]}\S*\s*\w+")}
        )
        rows.append(
            {"field": "exit", "value": levels[1], "words": words_for(rf"{levels[1]}\S*\s*\w+")}
        )
    if trend_filter:
        rows.append(
            {
                "field": "entry.trend_filter",
                "value": trend_filter[1],
                "words": words_for(r"\S+\s*\d+\S*\s*trend\s*filt\w*|trend\s*filt\w*\s*\S+\s*\d+"),
            }
        )
    for field, pattern in (
        (
            "stop_loss_pct",
            r"%\s*\d+(?:[.,]\d+)?\S*\s*(?:zarar \w+|stop\w*|sl)"
            r"|(?:stop loss|stop|sl|zarar \w+)\s*%?\s*\d+(?:[.,]\d+)?\s*%?",
        ),
        (
            "take_profit_pct",
            r"%\s*\d+(?:[.,]\d+)?\S*\s*(?:kar al|take profit|tp|hedef)"
            r"|(?:take profit|kar al|tp|hedef)\s*%?\s*\d+(?:[.,]\d+)?\s*%?",
        ),
    ):
        rows.append(
            {
                "field": field,
                "value": doc[field],
                "words": "" if field in default_fields else words_for(pattern),
            }
        )
    return rows
