"""Turn a Turkish or English sentence into one API action (rule-based, fully offline).

`interpret(prompt, context)` returns the chat answer
`{"intent", "action": {"method", "path", "body"}, "confirm_required", "reply", "lang",
"suggestions"}`. The copilot never runs the action: the page sends it through the normal API, so
authentication, the risk gate and the audit log apply.

`context` is optional page state (see `PageContext` below for the keys read); the page builds it
from `GET /futures/risk/status`, `GET /futures/ws.status` and the `/ws/live/` feed, so the copilot
itself reads nothing of the other apps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.conf import settings

from copilot import lexicon, safety
from copilot.text import Token, allowed_typos, edit_distance, fold, has_turkish_letters, tokenize


@dataclass(frozen=True)
class Command:
    """One row of the command table: an intent and the API action it turns into."""

    intent: str
    method: str
    path: str
    permission: str  # what the caller needs to run the action ("" for reads)
    confirm: str  # "always", "live" (when dryRun is false) or "never"
    summary_tr: str
    summary_en: str
    examples: tuple[str, ...]
    body: str = ""  # the body's fields, for the reference
    available: bool = True  # False: the route is another issue's (the cockpit), not here yet


COMMANDS: tuple[Command, ...] = (
    Command(
        "ws.start",
        "POST",
        "/futures/ws.start",
        "futures.control_streams",
        "never",
        "Piyasa ve kullanıcı veri akışlarını başlatır.",
        "Start the market and user-data streams.",
        ("WS başlat", "websocket'i başlat BTC ETH", "start the streams"),
        "{symbols: [..]}",
    ),
    Command(
        "ws.stop",
        "POST",
        "/futures/ws.stop",
        "futures.control_streams",
        "never",
        "Veri akışlarını durdurur.",
        "Stop the streams.",
        ("WS durdur", "stop the websocket"),
        "{}",
    ),
    Command(
        "ws.status",
        "GET",
        "/futures/ws.status",
        "",
        "never",
        "Akışların durumu.",
        "Stream status.",
        ("ws durumu", "are the streams connected?"),
    ),
    Command(
        "order.place",
        "POST",
        "/futures/order.place",
        "futures.place_order",
        "live",
        "Emir hazırlar (gerçek/canlı denmedikçe dry-run). Çift yönlü pozisyon modunda "
        "long/short tarafı (positionSide) belirler.",
        "Prepare an order (dry-run unless you say real/live). In hedge mode long/short name "
        "the side (positionSide).",
        (
            "dry-run emir",
            "0,01 BTC al",
            "ETH'den 0.5 limit sat 3500",
            "buy 0.002 btc at market",
            "gerçek emir 0.001 BTC al",
            "BTC 0.01 stop sat 58000",
            "ETH long aç 0.01",
        ),
        "{symbol, side, type, quantity, price?, stopPrice?, timeInForce?, reduceOnly? | "
        "positionSide (hedge), dryRun}",
    ),
    Command(
        "position.close",
        "POST",
        "/futures/order.place",
        "futures.place_order",
        "always",
        "Pozisyonu reduce-only piyasa emriyle kapatır. Çift yönlü modda yalnızca söylenen "
        "tarafı kapatır (positionSide, reduce-only olmadan); iki taraf açıksa hangisi diye sorar.",
        "Close a position with a reduce-only market order. In hedge mode it closes only the "
        "side named (positionSide, no reduce-only) and asks which when both sides are open.",
        ("BTC long pozisyonumu 0.01 kapat", "close my 0.5 ETH short"),
        "{symbol, side, type: MARKET, quantity, reduceOnly: true | positionSide (hedge), dryRun}",
    ),
    Command(
        "position.protect",
        "POST",
        "/futures/position.protect",
        "futures.place_order",
        "always",
        "Açık pozisyonun tamamına zarar durdur / kâr al (closePosition; öncekinin yerine geçer).",
        "Stop loss / take profit on a whole open position (closePosition; replaces an earlier "
        "one).",
        ("ETH stop loss 3300", "BTC kâr al 70000", "take profit 3600 on eth"),
        "{symbol, positionSide? (hedge), stopLoss?, takeProfit?, dryRun}",
    ),
    Command(
        "position.trailing",
        "POST",
        "/futures/order.trailing",
        "futures.place_order",
        "always",
        "Pozisyona iz süren stop (TRAILING_STOP_MARKET, reduce-only, callbackRate %0,1-10).",
        "Trailing stop on a position (TRAILING_STOP_MARKET, reduce-only, callbackRate 0.1-10 %).",
        ("ETH %1 trailing stop", "1% trailing stop on btc"),
        "{symbol, positionSide? (hedge), callbackRate, quantity, dryRun}",
    ),
    Command(
        "order.modify",
        "POST",
        "/futures/order.modify",
        "futures.place_order",
        "always",
        "Açık emrin fiyatını/miktarını yerinde değiştirir (aynı clientOrderId).",
        "Change an open order's price or size in place (same clientOrderId).",
        ("ETH emrimin fiyatını 3100 yap", "move my eth order to 3100"),
        "{symbol, orderId, side, quantity, price}",
    ),
    Command(
        "pnl.summary",
        "GET",
        "/futures/risk/status",
        "",
        "never",
        "Kâr/zarar: bugün, bu hafta, sembol başına, açık PnL.",
        "Profit and loss: today, this week, per symbol, open uPnL.",
        ("kârım ne kadar", "what's my pnl today", "BTC pnl"),
    ),
    Command(
        "market.funding",
        "GET",
        "/futures/premiumIndex",
        "",
        "never",
        "Fonlama oranı ve sonraki fonlama zamanı.",
        "Funding rate and next funding time.",
        ("BTC fonlama oranı", "eth funding rate", "next funding"),
    ),
    Command(
        "position.liquidation",
        "GET",
        "/futures/positions",
        "",
        "never",
        "Likidasyon fiyatı.",
        "Liquidation price.",
        ("ETH likidasyon fiyatım", "liquidation price of my btc"),
    ),
    Command(
        "account.margin",
        "GET",
        "/futures/account",
        "",
        "never",
        "Marjin bakiyesi, bakım marjini ve oranı.",
        "Margin balance, maintenance margin and ratio.",
        ("marjinim ne kadar", "what's my margin ratio"),
    ),
    Command(
        "order.cancel",
        "POST",
        "/futures/order.cancel",
        "futures.cancel_order",
        "always",
        "Tek bir emri iptal eder.",
        "Cancel one order.",
        ("BTC 123456 nolu emri iptal et", "cancel order 98765 on ETH"),
        "{symbol, orderId? | clientOrderId?}",
    ),
    Command(
        "order.cancelAll",
        "POST",
        "/futures/order.cancelAll",
        "futures.cancel_order",
        "always",
        "Bir sembolde verdiğiniz açık emirleri iptal eder (operatör: tümünü).",
        "Cancel your open orders of a symbol (an operator: every order).",
        ("BTC'deki tüm emirleri iptal et", "cancel all ETH orders"),
        "{symbol}",
    ),
    Command(
        "leverage.set",
        "POST",
        "/futures/leverage",
        "futures.change_leverage",
        "always",
        "Kaldıracı değiştirir.",
        "Change the leverage.",
        ("10x kaldıraç ETH", "set BTC leverage to 5"),
        "{symbol, leverage}",
    ),
    Command(
        "margin.set",
        "POST",
        "/futures/marginType",
        "futures.change_margin_type",
        "always",
        "Marjin tipini değiştirir (izole/çapraz).",
        "Change the margin type (isolated/cross).",
        ("BTC marjin izole yap", "switch ETH to cross margin"),
        "{symbol, marginType}",
    ),
    Command(
        "canary.run",
        "POST",
        "/canary/run",
        "canary.run_canary",
        "never",
        "Canary akışını başlatır.",
        "Start a canary run.",
        ("canary", "BTC ile canary çalıştır"),
        "{symbol?, side?, quantity?}",
    ),
    Command(
        "canary.confirm",
        "POST",
        "/canary/confirm",
        "canary.confirm_canary",
        "always",
        "Bir canary koşusunu onaylar (numara cümleden ya da sayfanın son onaylanabilir "
        "koşusundan).",
        "Confirm a canary run (id from the sentence or the page's latest confirmable run).",
        ("canary 42 onayla", "confirm canary run 7"),
        "{runId}",
    ),
    Command(
        "canary.status",
        "GET",
        "/canary/status",
        "",
        "never",
        "Canary durumu.",
        "Canary status.",
        ("canary durumu", "canary status"),
    ),
    Command(
        "portfolio.summary",
        "GET",
        "/api/portfolio",
        "",
        "never",
        "Portföy özeti.",
        "Portfolio summary.",
        ("portföy özeti", "show my portfolio"),
    ),
    Command(
        "risk.status",
        "GET",
        "/futures/risk/status",
        "",
        "never",
        "Risk limitleri ve devre kesici durumu.",
        "Risk limits and circuit breaker state.",
        ("futures riskim", "risk durumu", "what's my risk"),
    ),
    Command(
        "risk.breaker.close",
        "POST",
        "/futures/risk/circuit-breaker/close",
        "risk.close_circuit_breaker",
        "always",
        "Devre kesiciyi kapatır (işleme yeniden izin verir).",
        "Close the circuit breaker (trading resumes).",
        ("devre kesiciyi kapat", "reset the circuit breaker"),
        "{reason}",
    ),
    Command(
        "risk.breaker.open",
        "POST",
        "/futures/risk/circuit-breaker/open",
        "risk.open_circuit_breaker",
        "always",
        "Devre kesiciyi elle açar (yeni emirler durur).",
        "Open the circuit breaker by hand (new orders stop).",
        ("devre kesiciyi aç", "trip the circuit breaker"),
        "{reason}",
    ),
    Command(
        "positions.list",
        "GET",
        "/futures/positions",
        "",
        "never",
        "Açık pozisyonlar (çift yönlü modda Uzun ve Kısa taraf ayrı).",
        "Open positions (in hedge mode the Long and Short sides apart).",
        ("pozisyonlarım", "show my positions"),
    ),
    Command(
        "orders.open",
        "GET",
        "/futures/openOrders",
        "",
        "never",
        "Açık emirler.",
        "Open orders.",
        ("açık emirler", "open orders"),
    ),
    Command(
        "account.balance",
        "GET",
        "/futures/account",
        "",
        "never",
        "Futures hesap bakiyesi.",
        "Futures account balance.",
        ("bakiyem", "account balance"),
    ),
    Command(
        "metrics",
        "GET",
        "/metrics",
        "",
        "never",
        "Prometheus metrikleri.",
        "Prometheus metrics.",
        ("metrics", "metrikleri göster"),
    ),
    Command(
        "health",
        "GET",
        "/health",
        "",
        "never",
        "Sistem sağlığı.",
        "System health.",
        ("sağlık durumu", "health check"),
    ),
    Command(
        "help",
        "GET",
        "/health",
        "",
        "never",
        "Komutları listeler.",
        "List the commands.",
        ("yardım", "help"),
    ),
    Command(
        "clarify",
        "GET",
        "/health",
        "",
        "never",
        "Eksik bilgi: ne gerektiğini sorar.",
        "Something is missing: asks for it.",
        ("kaldıraç", "emri iptal et"),
    ),
    Command(
        "unknown",
        "GET",
        "/health",
        "",
        "never",
        "Anlaşılmadı: komut önerir.",
        "Not understood: suggests commands.",
        ("merhaba",),
    ),
)

COMMANDS_BY_INTENT = {c.intent: c for c in COMMANDS}
ORDER_INTENTS = {"order.place", "position.close", "position.protect"}


def command_table() -> list[dict]:
    """The command reference, as rows (docs are generated from this, so they cannot drift)."""
    return [
        {
            "intent": c.intent,
            "method": c.method,
            # a route the cockpit issue will add is shown as pending, never as an endpoint
            "path": c.path if c.available else f"(pending) {c.path}",
            "body": c.body,
            "permission": c.permission,
            "confirm": c.confirm,
            "summary_tr": c.summary_tr,
            "summary_en": c.summary_en,
            "examples": list(c.examples),
            "available": c.available,
        }
        for c in COMMANDS
    ]


def permission_for(method: str, path: str) -> str:
    """The permission an action needs ("" for reads)."""
    for c in COMMANDS:
        if c.method == method and c.path == path and c.permission:
            return c.permission
    return ""


# ---------------------------------------------------------------- matching words to concepts


@lru_cache(maxsize=1)
def _forms() -> tuple[dict[str, list[tuple[str, str]]], list[tuple[str, str, str]]]:
    """(exact word → [(concept, lang)], [(stem, concept, lang)]) built from the lexicon."""
    exact: dict[str, list[tuple[str, str]]] = {}
    stems: list[tuple[str, str, str]] = []
    for concept, by_lang in lexicon.CONCEPTS.items():
        for lang, forms in by_lang.items():
            for form in forms:
                if form.endswith("*"):
                    stems.append((form[:-1], concept, lang))
                else:
                    exact.setdefault(form, []).append((concept, lang))
    return exact, stems


def _exact_concepts(word: str) -> list[tuple[str, str]]:
    exact, stems = _forms()
    found = list(exact.get(word, []))
    for stem, concept, lang in stems:
        if word.startswith(stem):
            found.append((concept, lang))
    return found


@lru_cache(maxsize=4096)
def _fuzzy_concepts(word: str) -> tuple[tuple[str, str], ...]:
    exact, stems = _forms()
    if len(word) < 5 or not word.isalpha():
        return ()
    best: dict[str, tuple[int, str]] = {}
    for form, pairs in exact.items():
        limit = allowed_typos(len(form))
        if limit and abs(len(form) - len(word)) <= limit:
            d = edit_distance(word, form, limit)
            if d <= limit:
                for concept, lang in pairs:
                    if concept not in best or d < best[concept][0]:
                        best[concept] = (d, lang)
    for stem, concept, lang in stems:
        limit = allowed_typos(len(stem))
        if not limit:
            continue
        for cut in range(len(stem) - limit, len(stem) + limit + 1):
            if cut <= 0 or cut > len(word):
                continue
            d = edit_distance(word[:cut], stem, limit)
            if d <= limit and (concept not in best or d < best[concept][0]):
                best[concept] = (d, lang)
    if not best:
        return ()
    top = min(d for d, _ in best.values())
    return tuple((concept, lang) for concept, (d, lang) in best.items() if d == top)


def _symbol_of(token: Token, bases: set[str]) -> str | None:
    """The USD-M symbol a token names, if any: BTC, btc'den, ethyi, BTCUSDT, bitcoin."""
    for word in (token.stem, token.word):
        if not word or not word[0].isalpha():
            continue
        up = word.upper()
        for quote in lexicon.quote_assets():
            if up.endswith(quote) and len(up) > len(quote) and up[: -len(quote)].isalnum():
                return up if up[: -len(quote)] in bases or len(up) > len(quote) + 1 else None
        if word in lexicon.NICKNAMES:
            return lexicon.NICKNAMES[word] + "USDT"
        if up in bases:
            return up + "USDT"
    word = token.word
    if token.suffix == "":
        for base in lexicon.POPULAR_BASES | {b for b in bases if len(b) >= 4}:
            low = base.lower()
            if word.startswith(low) and word[len(low) :] in lexicon.SYMBOL_SUFFIXES:
                return base + "USDT"
        for nick, base in lexicon.NICKNAMES.items():
            if (
                len(nick) >= 5
                and word.startswith(nick)
                and word[len(nick) :] in (lexicon.SYMBOL_SUFFIXES)
            ):
                return base + "USDT"
    return None


@dataclass
class Sentence:
    """A sentence read into concepts, symbols and numbers, each with its token position."""

    tokens: list[Token]
    concepts: dict[str, list[int]] = field(default_factory=dict)
    symbols: list[tuple[int, str]] = field(default_factory=list)
    numbers: list[tuple[int, Decimal, str]] = field(default_factory=list)
    ids: list[tuple[int, str]] = field(default_factory=list)  # run/order ids with letters
    tr_votes: int = 0
    en_votes: int = 0
    question: bool = False  # the sentence holds a "?" or asks with mi/mı/mu/mü
    bad_numbers: set[int] = field(default_factory=set)  # "1e400", "3000abc": no slot takes them

    def has(self, *concepts: str) -> bool:
        return any(c in self.concepts for c in concepts)

    def at(self, index: int, *concepts: str) -> bool:
        return any(index in self.concepts.get(c, ()) for c in concepts)

    def first_symbol(self) -> str | None:
        return self.symbols[0][1] if self.symbols else None


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


# what may follow a number in the same word and still leave it a number ("10x", "60000den")
_NUMBER_UNITS = {
    "x",
    "k",
    "lik",
    "luk",
    "den",
    "dan",
    "ten",
    "tan",
    "de",
    "da",
    "te",
    "ta",
    "e",
    "a",
    "ye",
    "ya",
    "adet",
    "tane",
    "lot",
    "kat",
    "usd",
    "usdt",
    "dolar",
    "dolardan",
}


# numbers written as words ("bir", "one" and "on" are left out: articles and prepositions)
_NUMBER_WORDS = {
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "hundred",
    "iki", "uc", "dort", "bes", "alti", "yedi", "sekiz", "dokuz", "yuz", "bin",
}  # fmt: skip


def analyze(prompt: str) -> Sentence:
    """Read a sentence: which concepts, symbols and numbers it holds, and in which language."""
    text = prompt.replace("@", " at ").replace("$", " usd ")
    # "%10'u" and "10%" become "10'u pct": the percent sign sticks to no slot by itself
    text = re.sub(r"%\s*(\d+(?:[.,]\d+)?)('\w+)?", r" \1\2 pct ", text)
    text = re.sub(r"(\d+(?:[.,]\d+)?)\s*%", r"\1 pct ", text)
    # scientific notation and digits glued to letters are never a slot: mark them whole
    text = re.sub(r"(?<![\w.,])(\d+(?:[.,]\d+)?[eE][+-]?\d+)", r" badnum\1 ", text)
    # keep UUIDs whole: the tokenizer would split them on '-'
    uuids = re.findall(_UUID, text)
    for i, u in enumerate(uuids):
        text = text.replace(u, f" uuidslot{i} ")
    # a command is a few words: reading past 60 only costs time (typo matching is the slow part)
    tokens = tokenize(text)[:MAX_TOKENS]
    s = Sentence(tokens)
    s.question = "?" in prompt or any(t.word in ("mi", "mu") for t in tokens)
    if has_turkish_letters(prompt):
        s.tr_votes += 2
    bases = lexicon.known_bases()
    for i, tok in enumerate(tokens):
        if tok.word.startswith("uuidslot") and tok.word[8:].isdigit():
            s.ids.append((i, uuids[int(tok.word[8:])]))
            continue
        if tok.word.startswith("badnum"):
            s.bad_numbers.add(i)
            s.numbers.append((i, Decimal(0), ""))
            continue
        if tok.number is not None:
            unit = tok.unit
            if not tok.suffix and unit and unit.isalpha() and unit not in _NUMBER_UNITS:
                # a token like "42abc" is an identifier, not a number
                s.ids.append((i, tok.raw))
                continue
            s.numbers.append((i, tok.number, unit))
            continue
        symbol = _symbol_of(tok, bases)
        if symbol:
            s.symbols.append((i, symbol))
            continue
        if tok.word in _NUMBER_WORDS:
            # "sell two sol": a number in words is asked back, never read as "no number"
            s.bad_numbers.add(i)
            s.numbers.append((i, Decimal(0), ""))
            continue
        if tok.word in ("yarim", "yarimsar"):  # "yarım adet": half a unit
            s.numbers.append((i, Decimal("0.5"), ""))
            s.tr_votes += 1
            continue
        if tok.word[:1] == "x" and tok.word[1:].isdigit():  # x10
            s.numbers.append((i, Decimal(tok.word[1:]), "x"))
            continue
        if tok.word == "run" and i > 0 and tokens[i - 1].word == "dry":
            continue  # "dry run" is one word, not "run (start)"
        found = _exact_concepts(tok.word) or _exact_concepts(tok.stem)
        if not found:
            found = _fuzzy_concepts(tok.word)
        if not found and any(ch.isdigit() for ch in tok.word) and len(tok.word) >= 4:
            s.ids.append((i, tok.raw))
            continue
        for concept, _lang in found:
            s.concepts.setdefault(concept, []).append(i)
        langs = {lang for _, lang in found}
        if "tr" in langs and "en" not in langs:
            s.tr_votes += 1
        elif "en" in langs and "tr" not in langs:
            s.en_votes += 1
    # "satın al" is "buy", though "satın" alone would be "sell"
    for i, tok in enumerate(tokens):
        if tok.word == "satin":
            if i + 1 < len(tokens) and tokens[i + 1].word.startswith("al"):
                s.concepts.setdefault("buy", []).append(i)
            else:
                s.concepts.setdefault("sell", []).append(i)
            s.tr_votes += 1
    return s


# ---------------------------------------------------------------- context (page state)


def _dec_or_none(value) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = Decimal(str(value))
    except Exception:  # noqa: BLE001 - a malformed figure is no figure
        return None
    return number if number.is_finite() else None


@dataclass
class PageContext:
    """What the page tells the copilot about live state; every key is optional.

    Keys read: `symbol` (the page's selected symbol, default for commands without one),
    `lastCanaryRunId`, `breakerOpen` (or `risk.breaker.open`), `streamsStale` (or
    `streams.stale`), `rejectRate` (0..1; high above `rejectRateHigh`, default 0.2),
    `positions` ([{symbol, positionAmt, positionSide?}]), `positionMode` ("hedge" or "one-way"),
    `lang` ("tr"/"en", used when the sentence is neutral).
    """

    symbol: str | None = None
    last_canary_run_id: str | None = None
    breaker_open: bool = False
    streams_stale: bool = False
    reject_rate: float | None = None
    reject_rate_high: float = 0.2
    positions: dict[str, Decimal] = field(default_factory=dict)
    lang: str | None = None
    # account state (the service reads it from the database; see copilot/account.py)
    position_info: dict[str, dict] = field(default_factory=dict)
    marks: dict[str, Decimal] = field(default_factory=dict)
    steps: dict[str, Decimal] = field(default_factory=dict)
    balance: dict[str, Decimal] = field(default_factory=dict)
    open_orders: list[dict] = field(default_factory=list)
    pnl: dict = field(default_factory=dict)
    orders_known: bool = False  # openOrders was given: an id not in it is not the caller's
    # hedge mode (positionMode "hedge", as Spark read it from the exchange): positions are per
    # side, in `sides` ((symbol, "LONG"|"SHORT") -> amount, a SHORT negative as Binance has it)
    # and `side_info`, never in `positions`; every action then names its positionSide
    hedge: bool = False
    sides: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    side_info: dict[tuple[str, str], dict] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: dict | None) -> PageContext:
        raw = raw if isinstance(raw, dict) else {}
        ctx = cls()
        symbol = raw.get("symbol")
        if isinstance(symbol, str) and re.fullmatch(r"[A-Za-z0-9]{2,20}", symbol):
            ctx.symbol = (
                symbol.upper() if symbol.upper().endswith("USDT") else (symbol.upper() + "USDT")
            )
        run_id = raw.get("lastCanaryRunId") or raw.get("canaryRunId")
        if isinstance(run_id, (str, int)) and str(run_id).strip():
            ctx.last_canary_run_id = str(run_id).strip()[:64]
        risk = raw.get("risk") if isinstance(raw.get("risk"), dict) else {}
        breaker = risk.get("breaker") if isinstance(risk.get("breaker"), dict) else {}
        ctx.breaker_open = bool(raw.get("breakerOpen") or breaker.get("open"))
        streams = raw.get("streams") if isinstance(raw.get("streams"), dict) else {}
        ctx.streams_stale = bool(raw.get("streamsStale") or streams.get("stale"))
        for key in ("rejectRate", "reject_rate"):
            try:
                if raw.get(key) is not None:
                    ctx.reject_rate = float(raw[key])
            except (TypeError, ValueError):
                pass
        try:
            if raw.get("rejectRateHigh") is not None:
                ctx.reject_rate_high = float(raw["rejectRateHigh"])
        except (TypeError, ValueError):
            pass
        for row in raw.get("positions") or []:
            if not isinstance(row, dict):
                continue
            try:
                amount = Decimal(str(row.get("positionAmt", row.get("amount", "0"))))
            except Exception:  # noqa: BLE001, S112 - a malformed row is ignored, not fatal
                continue
            if isinstance(row.get("symbol"), str) and amount:
                info = {
                    k: _dec_or_none(row.get(k))
                    for k in ("entryPrice", "markPrice", "liquidationPrice", "unrealizedPnl")
                } | {"leverage": row.get("leverage"), "marginType": row.get("marginType")}
                side = row.get("positionSide")
                if side in ("LONG", "SHORT"):
                    key = (row["symbol"].upper(), side)
                    ctx.sides[key] = abs(amount) if side == "LONG" else -abs(amount)
                    ctx.side_info[key] = info
                else:
                    ctx.positions[row["symbol"].upper()] = amount
                    ctx.position_info[row["symbol"].upper()] = info
                mark = _dec_or_none(row.get("markPrice"))
                if mark:
                    ctx.marks[row["symbol"].upper()] = mark
        for key, target in (("marks", ctx.marks), ("stepSizes", ctx.steps)):
            if isinstance(raw.get(key), dict):
                for sym, value in raw[key].items():
                    number = _dec_or_none(value)
                    if isinstance(sym, str) and number is not None and number > 0:
                        target[sym.upper()] = number
        if isinstance(raw.get("balance"), dict):
            for key, value in raw["balance"].items():
                number = _dec_or_none(value)
                if number is not None:
                    ctx.balance[key] = number
        ctx.orders_known = isinstance(raw.get("openOrders"), list)
        for row in raw.get("openOrders") or []:
            if isinstance(row, dict) and isinstance(row.get("symbol"), str):
                ctx.open_orders.append(row)
        if isinstance(raw.get("pnl"), dict):
            ctx.pnl = raw["pnl"]
        if raw.get("lang") in ("tr", "en"):
            ctx.lang = raw["lang"]
        # side rows exist only in hedge mode (a reading of one-way zeroes them); the reading
        # decides when there is one, and rows of the other mode are stale, never counted
        mode = raw.get("positionMode")
        ctx.hedge = mode == "hedge" or (mode not in ("hedge", "one-way") and bool(ctx.sides))
        if not ctx.hedge:
            ctx.sides.clear()
            ctx.side_info.clear()
        return ctx

    @property
    def reject_rate_is_high(self) -> bool:
        return self.reject_rate is not None and self.reject_rate >= self.reject_rate_high


# ---------------------------------------------------------------- slots


@dataclass
class OrderSlots:
    symbol: str | None = None
    side: str | None = None
    position_side: str | None = None  # LONG/SHORT named as a position ("long pozisyonum")
    order_type: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    take_profit: Decimal | None = None
    time_in_force: str | None = None
    reduce_only: bool = False
    live: bool = False
    leverage: int | None = None
    order_id: int | None = None
    client_order_id: str | None = None
    notional: Decimal | None = None  # "100 dolarlık", "100 usd of"
    notional_currency: str = "USD"
    balance_pct: Decimal | None = None  # "bakiyemin %10'u"
    percent: Decimal | None = None  # any other percentage ("%50'sini kapat")
    unplaced: list[str] = field(default_factory=list)  # numbers no words place: a question
    bad: list[str] = field(default_factory=list)  # numbers no order can carry ("1e400")
    trace: dict[str, str] = field(default_factory=dict)  # slot -> the words it came from
    by_position: set[str] = field(default_factory=set)  # slots filled as the one still open


_PRICE_UNITS = {"den", "dan", "ten", "tan", "usd", "usdt", "dolar", "dolardan", "e", "a"}
_PRICE_UNITS |= {"ye", "ya"}
_QTY_UNITS = {"adet", "tane", "lot", "kontrat"}
_CURRENCY_STEMS = {"dolar", "usd", "usdt", "tl", "lira", "dollar", "dollars", "bucks"}
_LIK = ("lik", "luk")
_STOP_WORDS = {"stop", "sl", "tetik", "tetikle", "trigger", "stoploss", "zarar", "loss"}
_TP_WORDS = {"tp", "takeprofit", "profit", "kar"}
_BALANCE_STEMS = ("bakiye", "balance", "hesab", "equity", "sermaye", "param")
# the largest number an order slot may hold: beyond it the sentence is a typo or an attack
_MAX_SLOT = Decimal(10) ** 12


def _side_words(s: Sentence) -> tuple[str | None, str | None]:
    """(order side from al/sat/buy/sell, position side from long/short)."""
    order_side = position_side = None
    for i, tok in enumerate(s.tokens):
        word = tok.word
        if s.at(i, "buy"):
            if word.startswith("long"):
                position_side = position_side or "LONG"
            elif not (word == "al" and _word(s, i - 1) == "kar"):  # "kâr al" is take-profit
                order_side = order_side or "BUY"
        elif s.at(i, "sell"):
            if word.startswith("short"):
                position_side = position_side or "SHORT"
            else:
                order_side = order_side or "SELL"
    return order_side, position_side


def _word(s: Sentence, i: int) -> str:
    return s.tokens[i].word if 0 <= i < len(s.tokens) else ""


def _stem(s: Sentence, i: int) -> str:
    return s.tokens[i].stem if 0 <= i < len(s.tokens) else ""


def _is_stop_cue(s: Sentence, i: int) -> bool:
    w = _word(s, i)
    return w in _STOP_WORDS or w.startswith(("tetik", "trigger")) or s.at(i, "stop_type")


def _is_tp_cue(s: Sentence, i: int) -> bool:
    w = _word(s, i)
    if w in ("tp", "takeprofit"):
        return True
    if w == "profit" and _word(s, i - 1) == "take":
        return True
    return w == "al" and _word(s, i - 1) == "kar"  # "kâr al 3600"


def _is_currency(s: Sentence, i: int) -> bool:
    return _stem(s, i) in _CURRENCY_STEMS or _word(s, i).rstrip("lkiu") in _CURRENCY_STEMS


def _is_lik_currency(s: Sentence, i: int) -> bool:
    """'dolarlık', "USDT'lik", "TL'lik": a currency word made an adjective (a notional)."""
    tok = s.tokens[i] if 0 <= i < len(s.tokens) else None
    if tok is None:
        return False
    if tok.suffix in _LIK and tok.stem in _CURRENCY_STEMS:
        return True
    return any(tok.word == c + lik for c in _CURRENCY_STEMS for lik in _LIK)


def order_slots(s: Sentence, ctx: PageContext) -> OrderSlots:  # noqa: C901 - one rule a line
    """Place every number of the sentence by the words around it; unplaced ones are kept.

    A number is a quantity, a price, a trigger, a take-profit, a notional, a share of the
    balance, a leverage or a percentage only when a word next to it says so (in Turkish or
    English order, suffixes included: "3000'den", "0,01'lik", "%2'lik"). What no word places
    stays in `unplaced`, and the order becomes a question: a number is never guessed.
    """
    o = OrderSlots()
    o.symbol = s.first_symbol()
    o.side, o.position_side = _side_words(s)
    symbol_at = {i for i, _ in s.symbols}
    used_cue: set[int] = set()
    leftovers: list[tuple[int, Decimal]] = []
    trailing = _says_trailing(s)
    for i, value, unit in s.numbers:
        raw = s.tokens[i].raw.removeprefix("badnum")
        if i in s.bad_numbers or value >= _MAX_SLOT or (value and value.as_tuple().exponent < -10):
            o.bad.append(raw)
            continue
        prev, nxt = _word(s, i - 1), _word(s, i + 1)
        prev_free = (i - 1) not in used_cue
        if (
            unit.startswith("x")
            or unit == "kat"
            or nxt in ("x", "kat", "kez")
            or s.at(i + 1, "leverage")
            or (s.at(i - 1, "leverage") and prev_free)
        ):
            o.leverage = int(value) if value == int(value) else None
            o.trace["leverage"] = raw
            continue
        if nxt == "pct" or prev in ("yuzde", "percent"):
            near = [_word(s, j) for j in range(i - 4, i + 5)]
            if any(w.startswith(_BALANCE_STEMS) for w in near):
                o.balance_pct = value
                o.trace["balancePct"] = raw
            elif not trailing and any(_is_stop_cue(s, j) for j in (i - 1, i - 2, i + 2, i + 3)):
                o.bad.append(raw + "%")  # "%2 stop": the page asks for a price, not a guess
            else:
                o.percent = value
                o.trace["percent"] = raw
            used_cue.add(i + 1)
            continue
        if (
            unit in ("dolarlik", "usdlik", "usdtlik", "tllik", "liralik")
            or _is_lik_currency(s, i + 1)
            or (_is_currency(s, i + 1) and _word(s, i + 2) in ("of", "worth"))
            or (prev == "usd" and nxt in ("of", "worth"))
        ):
            o.notional = value
            currency_word = unit or nxt
            o.notional_currency = "TL" if currency_word.startswith(("tl", "lira")) else "USD"
            o.trace["notional"] = f"{raw} {_word(s, i + 1)}".strip()
            used_cue.add(i + 1)
            continue
        if (
            (prev_free and _is_tp_cue(s, i - 1))
            or (nxt in ("tp",))
            or (_word(s, i - 1) == "profit" and _word(s, i - 2) == "take")
        ):
            o.take_profit = value
            o.trace["takeProfit"] = raw
            used_cue.add(i - 1)
            continue
        if o.stop_price is None and (
            (prev_free and _is_stop_cue(s, i - 1))
            or (
                prev in ("market", "price", "fiyat", "fiyati", "loss", "at")
                and _is_stop_cue(s, i - 2)
            )
            or (unit in ("de", "da", "te", "ta") and _is_stop_cue(s, i + 1))
            or nxt.startswith("tetik")
        ):
            o.stop_price = value
            o.trace["stopPrice"] = raw
            used_cue.add(i - 1)
            continue
        if quantity_cue(s, i, unit, symbol_at) and o.quantity is None:
            o.quantity = value
            o.trace["quantity"] = raw
            continue
        if (
            unit in _PRICE_UNITS
            or (prev_free and (s.at(i - 1, "price_word") or s.at(i - 1, "limit")))
            or _price_word_after(s, i)
        ) and o.price is None:
            o.price = value
            o.trace["price"] = raw
            used_cue.add(i + 1)
            continue
        leftovers.append((i, value))
    _place_leftovers(s, o, leftovers, symbol_at)
    if o.take_profit is not None and o.stop_price is None:
        o.order_type = "TAKE_PROFIT" if o.price is not None else "TAKE_PROFIT_MARKET"
    elif o.stop_price is not None:
        o.order_type = "STOP" if o.price is not None else "STOP_MARKET"
    elif s.has("limit") or (o.price is not None and not s.has("market")):
        o.order_type = "LIMIT" if o.price is not None else None
    else:
        o.order_type = "MARKET"
    if o.order_type in ("LIMIT", "STOP", "TAKE_PROFIT"):
        o.time_in_force = "GTC"
        if s.has("tif_ioc"):
            o.time_in_force = "IOC"
        elif s.has("tif_fok"):
            o.time_in_force = "FOK"
        elif s.has("tif_gtx"):
            o.time_in_force = "GTX"
    o.reduce_only = s.has("reduce")
    o.live = asks_for_live(s)
    for _, ident in s.ids:
        o.client_order_id = o.client_order_id or ident
    return o


def _is_number_at(s: Sentence, i: int) -> bool:
    return 0 <= i < len(s.tokens) and s.tokens[i].number is not None


def _price_word_after(s: Sentence, i: int) -> bool:
    """'3000 fiyattan', '3000 dolardan': a price word after the number names it, unless it
    names the number that follows ('0.01 fiyat 3000') or is English 'at' ('0.05 at market')."""
    if not s.at(i + 1, "price_word") or _word(s, i + 1) == "at":
        return False
    # a bare "fiyat"/"price" names what follows it; "fiyattan", "dolardan" what precedes them
    return not (_word(s, i + 1) in ("fiyat", "fiyati", "price") and _is_number_at(s, i + 2))


def quantity_cue(s: Sentence, i: int, unit: str, symbol_at: set[int]) -> bool:
    """'0,01 BTC', '0,01'lik ETH', '3 adet', 'qty 0.5', 'miktar 2', 'BTC'den 0.01'."""
    return (
        unit in _QTY_UNITS
        or (unit in _LIK and ((i + 1) in symbol_at or s.at(i + 1, "quantity_word")))
        or ((i + 1) in symbol_at and unit not in _PRICE_UNITS)
        or s.at(i + 1, "quantity_word")
        or s.at(i - 1, "quantity_word")
    )


def _place_leftovers(
    s: Sentence, o: OrderSlots, leftovers: list[tuple[int, Decimal]], symbol_at: set[int]
) -> None:
    """Give a number no word placed the one slot the sentence still needs, else keep it unplaced.

    "BTC 0.01 al" (the one open slot is the quantity), "0.01 BTC limit al 60000" (a limit order
    still needs its price), "BTC 0.01 stop sat 58000" (a stop still needs its trigger). Two open
    slots and two bare numbers are a question, never a guess by size.
    """
    wanted: list[str] = []
    if o.quantity is None and o.notional is None and o.balance_pct is None:
        wanted.append("quantity")
    if s.has("limit") and o.price is None:
        wanted.append("price")
    stop_named = any(_is_stop_cue(s, j) for j in range(len(s.tokens)))
    if stop_named and o.stop_price is None and o.take_profit is None:
        wanted.append("stopPrice")
    remaining = list(leftovers)
    # a bare number right beside the symbol or the verb is the quantity: "BTC 0.01 al", "buy 2"
    if "quantity" in wanted:
        beside = [(i, v) for i, v in remaining if (i - 1) in symbol_at]
        if len(beside) != 1:
            beside = [
                (i, v)
                for i, v in remaining
                if s.at(i - 1, "buy", "sell") or s.at(i + 1, "buy", "sell")
            ]
        if len(beside) == 1 and (len(remaining) == 1 or len(wanted) == len(remaining)):
            i, value = beside[0]
            o.quantity = value
            o.trace["quantity"] = s.tokens[i].raw
            o.by_position.add("quantity")
            remaining.remove(beside[0])
            wanted.remove("quantity")
    if len(remaining) == 1 and len(wanted) == 1:
        i, value = remaining[0]
        slot = wanted[0]
        attribute = {"quantity": "quantity", "price": "price", "stopPrice": "stop_price"}[slot]
        setattr(o, attribute, value)
        o.trace[slot] = s.tokens[i].raw
        o.by_position.add(slot)
        return
    o.unplaced.extend(s.tokens[i].raw for i, _ in remaining)


_NOT_A_MODE = {"quick", "quickly", "fast", "data", "feed", "price", "prices", "chart", "hizli"}


def asks_for_live(s: Sentence) -> bool:
    """True only when the sentence asks for a real order and does not also say dry-run/not."""
    if not s.has("real") or s.has("dryrun") or s.question:
        return False  # a question ("is this a real order?") asks nothing
    asked = False
    for i in s.concepts["real"]:
        near = [j for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(s.tokens)]
        if any(s.at(j, "negation") for j in near):
            return False
        nxt = s.tokens[i + 1].word if i + 1 < len(s.tokens) else ""
        # "canlı fiyat", "live price", "canlı veri", "real quick": an adjective, not an order mode
        if i + 1 < len(s.tokens) and (
            s.at(i + 1, "price_word", "stream", "market", "balance")
            or nxt in _NOT_A_MODE
            or nxt.startswith(("fiyat", "veri", "yayin"))
        ):
            continue
        asked = True
    return asked


def _decimal_str(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


# ---------------------------------------------------------------- replies


def in_language(lang: str, tr: str, en: str) -> str:
    """The Turkish or the English wording, by the language the sentence was read in."""
    return tr if lang == "tr" else en


SEED_SUGGESTIONS = {
    "tr": [
        "WS başlat",
        "dry-run emir",
        "canary",
        "futures riskim",
        "portföy özeti",
        "pozisyonlarım",
        "açık emirler",
        "metrics",
    ],
    "en": [
        "start streams",
        "dry-run order",
        "canary",
        "my futures risk",
        "portfolio summary",
        "my positions",
        "open orders",
        "metrics",
    ],
}


def _close_answer(body: dict, reply: str, lang: str) -> Answer:
    """A position close: a market order through order.place, always confirmed first."""
    return Answer(
        "position.close",
        "POST",
        "/futures/order.place",
        body,
        reply,
        confirm_required=True,
        suggestions=[in_language(lang, "pozisyonlarım", "my positions")],
    )


def _side_word(side: str, lang: str) -> str:
    return {
        ("BUY", "tr"): "alış",
        ("SELL", "tr"): "satış",
        ("BUY", "en"): "buy",
        ("SELL", "en"): "sell",
    }[(side, lang)]


def _type_word(order_type: str, lang: str) -> str:
    words = {
        "MARKET": ("piyasa", "market"),
        "LIMIT": ("limit", "limit"),
        "STOP": ("stop-limit", "stop-limit"),
        "STOP_MARKET": ("stop-market", "stop-market"),
    }[order_type]
    return words[0] if lang == "tr" else words[1]


@dataclass
class Answer:
    intent: str
    method: str
    path: str
    body: dict | None
    reply: str
    confirm_required: bool = False
    suggestions: list[str] = field(default_factory=list)
    defaults_used: list[str] = field(default_factory=list)
    choices: list[dict] = field(default_factory=list)  # buttons: {"label", "prompt"}
    needs_endpoint: bool = False  # the action's route is not in the API yet


def _guardrails(ctx: PageContext, lang: str) -> list[str]:
    warnings = []
    if ctx.breaker_open:
        warnings.append(
            in_language(
                lang,
                "Devre kesici AÇIK: risk kapısı yeni emirleri reddedecek.",
                "The circuit breaker is OPEN: the risk gate will reject new orders.",
            )
        )
    if ctx.streams_stale:
        warnings.append(
            in_language(
                lang,
                "Veri akışları bayat: fiyat ve pozisyonlar güncel olmayabilir.",
                "Streams are stale: prices and positions may be out of date.",
            )
        )
    if ctx.reject_rate_is_high:
        pct = f"{ctx.reject_rate * 100:.0f}%"
        warnings.append(
            in_language(
                lang,
                f"Emir red oranı yüksek ({pct}): önce nedenini inceleyin.",
                f"The order reject rate is high ({pct}): check why first.",
            )
        )
    return warnings


def _context_suggestions(ctx: PageContext, lang: str) -> list[str]:
    out = []
    if ctx.breaker_open:
        out.append(in_language(lang, "devre kesiciyi kapat", "close the circuit breaker"))
    if ctx.streams_stale:
        out.append(in_language(lang, "WS başlat", "start streams"))
    if ctx.reject_rate_is_high:
        out.append(in_language(lang, "futures riskim", "my futures risk"))
    return out


# ---------------------------------------------------------------- intents


def _decide(s: Sentence, ctx: PageContext, lang: str) -> Answer:  # noqa: C901 - a decision list
    has = s.has
    side_present = has("buy", "sell")
    words = [t.word for t in s.tokens]
    asks_abilities = {"what", "can", "you", "do"} <= set(words) or "yapabilirsin" in words
    if (has("help") or asks_abilities) and not has(*_TOPICS):
        return _help(lang)
    if has("breaker"):
        if has("close", "reset", "stop") and not has("open_adj"):
            return _breaker_close(s, ctx, lang)
        opens = has("open_verb", "trip") or (s.tokens and s.tokens[0].word == "open")
        if opens and not has("close", "reset", "list", "negation"):
            return _breaker_open(s, ctx, lang)
        return _read(
            "risk.status",
            lang,
            in_language(
                lang,
                "Risk ve devre kesici durumu getiriliyor.",
                "Fetching the risk and circuit breaker state.",
            ),
        )
    run_word = any(t.word in ("run", "kosu", "kosuyu", "kosusu") for t in s.tokens)
    if has("confirm") and run_word and not has("order", "buy", "sell"):
        return _canary_confirm(s, ctx, lang)  # "confirm run 33": runs are canary runs
    if has("canary"):
        if has("confirm"):
            return _canary_confirm(s, ctx, lang)
        if has("status", "list") and not has("start"):
            return _read(
                "canary.status",
                lang,
                in_language(lang, "Canary durumu getiriliyor.", "Fetching the canary status."),
            )
        return _canary_run(s, ctx, lang)
    if has("stream") and not has("order", "position"):
        if has("stop", "close"):
            return _plain(
                "ws.stop",
                {},
                lang,
                in_language(lang, "Veri akışları durdurulacak.", "The streams will be stopped."),
            )
        if has("start", "open_verb", "place"):
            symbols = [sym for _, sym in s.symbols] or list(
                getattr(settings, "SPARK_STREAM_SYMBOLS", []) or ["BTCUSDT"]
            )
            symbols = list(dict.fromkeys(symbols))
            return _plain(
                "ws.start",
                {"symbols": symbols},
                lang,
                in_language(
                    lang,
                    f"Veri akışları başlatılacak: {', '.join(symbols)}.",
                    f"The streams will start for {', '.join(symbols)}.",
                ),
            )
        return _read(
            "ws.status",
            lang,
            in_language(lang, "Akış durumu getiriliyor.", "Fetching the stream status."),
        )
    text = " ".join(t.word for t in s.tokens)
    if re.search(r"\bfonlama|\bfunding|\bfon oran", text):
        return _funding(s, ctx, lang)
    if re.search(r"\blikidasyon|\bliquidat|\btasfiye|\bliq\b|\blikit", text):
        return _liquidation(s, ctx, lang)
    if (_says_stop_loss(s) or _says_take_profit(s) or _says_trailing(s)) and not has("cancel"):
        return _protect(s, ctx, lang)
    if _asks_pnl(s, text) and not has("breaker"):
        return _pnl(s, ctx, lang)
    leverage_number = any(unit == "x" for _, _, unit in s.numbers)
    if has("leverage") or (leverage_number and s.symbols and not has("buy", "sell", "order")):
        return _leverage(s, ctx, lang)  # "btc 3x yap" is a leverage change
    if (
        has("margin")
        and not has("isolated", "cross")
        and (s.question or re.search(r"\bkadar\b|\boran|\bratio|\bhow much|\bdurum", text))
    ):
        return _margin_info(s, ctx, lang)
    if has("isolated", "cross") or (has("margin") and not side_present):
        return _margin(s, ctx, lang)
    if has("cancel") and not has("stream"):
        return _cancel(s, ctx, lang)
    if (
        re.search(r"\b(degistir|guncelle|modify|amend|move|edit|change)\w*", text)
        and (has("order") or re.search(r"\bemrim|\bemrin", text))
    ) or re.search(r"\bemri\w*( fiyat\w*)? \S+ (yap|cek|tasi)\w*\b", text):
        return _modify(s, ctx, lang)
    order_side, position_side = _side_words(s)
    if (
        has("close")
        and (has("position", "all") or position_side or order_side or s.symbols)
        and not has("open_verb")
    ):
        return _position_close(s, ctx, lang)
    if order_side and has("all") and not s.numbers:
        # "sell all my eth": the whole position, never a default-sized new order
        return _position_close(s, ctx, lang)
    wants_place = has("place", "open_verb", "dryrun", "real", "market", "limit") or bool(s.numbers)
    if has("position") and not wants_place and not (order_side and s.symbols):
        return _positions_list(ctx, lang)
    if order_side or (position_side and (wants_place or s.symbols)):
        return _order_place(s, ctx, lang)
    if has("order") and (has("dryrun", "real", "place", "market", "limit") or s.numbers):
        return _order_place(s, ctx, lang)
    if has("order") or (has("open_adj") and has("list")):
        return _read(
            "orders.open",
            lang,
            in_language(lang, "Açık emirler getiriliyor.", "Fetching your open orders."),
        )
    if has("metrics"):
        return _read(
            "metrics",
            lang,
            in_language(
                lang, "Prometheus metrikleri getiriliyor.", "Fetching the Prometheus metrics."
            ),
        )
    if has("portfolio"):
        return _read(
            "portfolio.summary",
            lang,
            in_language(lang, "Portföy özeti getiriliyor.", "Fetching your portfolio summary."),
        )
    if has("risk"):
        return _read(
            "risk.status",
            lang,
            in_language(lang, "Risk durumu getiriliyor.", "Fetching your risk status."),
        )
    if has("balance"):
        return _read(
            "account.balance",
            lang,
            in_language(
                lang,
                "Futures hesap bakiyesi getiriliyor.",
                "Fetching your futures account balance.",
            ),
        )
    if has("position"):
        return _positions_list(ctx, lang)
    if has("health") or (has("status") and not s.symbols):
        return _read(
            "health",
            lang,
            in_language(lang, "Sistem sağlığı kontrol ediliyor.", "Checking the system health."),
        )
    if has("help"):
        return _help(lang)
    return _unknown(lang)


MAX_TOKENS = 60


def _asks_pnl(s: Sentence, text: str) -> bool:
    """'kârım ne kadar', 'bugünkü zararım', 'pnl today', 'how much profit': a PnL question."""
    if not re.search(
        r"\b(kar|karim|kari|kazanc\w*|kazand\w*|kaybet\w*|zarar\w*|pnl|profit\w*|loss\w*|"
        r"upnl|earn\w*|lost)\b",
        text,
    ):
        return False
    if s.has("buy", "sell", "close", "cancel") and not s.question:
        return False
    return bool(
        s.question
        or re.search(
            r"\b(ne kadar|kadar|bugun\w*|hafta\w*|today|week|how much|what|open|acik|my|"
            r"toplam|total|nedir|pnl|karim|zararim)\b",
            text,
        )
    )


_TOPICS = (
    "buy",
    "sell",
    "order",
    "position",
    "canary",
    "stream",
    "portfolio",
    "balance",
    "risk",
    "breaker",
    "metrics",
    "leverage",
    "margin",
    "cancel",
    "isolated",
    "cross",
)


def _read(intent: str, lang: str, reply: str) -> Answer:
    c = COMMANDS_BY_INTENT[intent]
    return Answer(intent, c.method, c.path, None, reply)


def _plain(intent: str, body: dict, lang: str, reply: str, confirm: bool = False) -> Answer:
    c = COMMANDS_BY_INTENT[intent]
    return Answer(intent, c.method, c.path, body, reply, confirm_required=confirm)


def clarify(lang: str, question_tr: str, question_en: str, examples: list[str]) -> Answer:
    return Answer(
        "clarify",
        "GET",
        "/health",
        None,
        in_language(lang, question_tr, question_en),
        suggestions=examples,
    )


def _help(lang: str) -> Answer:
    lines = ", ".join(SEED_SUGGESTIONS[lang])
    return Answer(
        "help",
        "GET",
        "/health",
        None,
        in_language(
            lang,
            f"Şunları yapabilirim: {lines}; ayrıca emir, iptal, kaldıraç ve marjin komutları.",
            f"I can do: {lines}; plus order, cancel, leverage and margin commands.",
        ),
        suggestions=list(SEED_SUGGESTIONS[lang]),
    )


def _unknown(lang: str) -> Answer:
    return Answer(
        "unknown",
        "GET",
        "/health",
        None,
        in_language(
            lang,
            "Bunu anlayamadım. Sistem sağlığını gösteriyorum; şu komutları deneyin.",
            "I did not understand that. Showing the system health; try one of these commands.",
        ),
        suggestions=list(SEED_SUGGESTIONS[lang]),
    )


def _symbol_or_context(s: Sentence, ctx: PageContext) -> str | None:
    return s.first_symbol() or ctx.symbol


# An order without a symbol or size gets a small one: ETHUSDT 0.008 (the canary's default) is
# above the exchange's minimum notional and below the default 100 USD risk limit. The sizes
# below are each symbol's small step above its usual minimum notional; the gate checks them.
DEFAULT_ORDER_SYMBOL = "ETHUSDT"
DEFAULT_QUANTITIES = {
    "BTCUSDT": "0.002",
    "ETHUSDT": "0.008",
    "BNBUSDT": "0.02",
    "SOLUSDT": "0.1",
    "XRPUSDT": "10",
    "DOGEUSDT": "100",
    "ADAUSDT": "20",
    "LINKUSDT": "1",
    "AVAXUSDT": "1",
    "LTCUSDT": "0.2",
    "DOTUSDT": "3",
}


_DEFAULT_NAMES = {
    "symbol": ("sembol", "symbol"),
    "side": ("yön (alış)", "side (buy)"),
    "quantity": ("miktar", "quantity"),
    "type": ("emir tipi (piyasa)", "order type (market)"),
}


def num(value: Decimal | str | None, lang: str) -> str:
    """A number as the user reads it: 1.234,56 on Turkish replies, 1,234.56 on English ones."""
    if value is None:
        return "-"
    value = Decimal(str(value))
    text = format(value.normalize(), "f") if value == value.normalize() else format(value, "f")
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    sep, point = (".", ",") if lang == "tr" else (",", ".")
    return sign + sep.join(groups) + (point + frac if frac else "")


def _number_problem(o: OrderSlots, lang: str) -> Answer | None:
    """A question for numbers no order can carry or no word places (never a default)."""
    if o.bad:
        shown = ", ".join(o.bad)
        return clarify(
            lang,
            f"Bu sayıyı bir emre koyamam: {shown}. Fiyatı ve miktarı düz sayı olarak yazın "
            "(örnek: '0,01 ETH 3000'den limit al').",
            f"I cannot put this number into an order: {shown}. Write price and quantity as "
            "plain numbers (e.g. 'buy 0.01 ETH limit at 3000').",
            ["0,01 ETH 3000'den limit al", "buy 0.01 ETH limit at 3000"],
        )
    if o.unplaced:
        shown = ", ".join(o.unplaced)
        return clarify(
            lang,
            f"{shown} miktar mı, fiyat mı, tetik mi? Yerini bir kelimeyle belirtin: "
            "'0,01 adet', '3000 fiyattan', 'stop 2900'.",
            f"Is {shown} a quantity, a price or a trigger? Say which: '0.01 ETH', "
            "'at 3000', 'stop 2900'.",
            ["0,01 ETH 3000'den limit al", "buy 0.01 ETH at 3000"],
        )
    return None


def _step_down(quantity: Decimal, step: Decimal | None) -> Decimal:
    """Round a computed quantity down to the symbol's step (never up: never more than said)."""
    if step is None or step <= 0:
        step = Decimal("0.001")
    return (quantity // step) * step


def _notional_quantity(
    o: OrderSlots, symbol: str, ctx: PageContext, lang: str
) -> tuple[Decimal | None, str, Answer | None]:
    """(quantity, a note for the reply, a question) for '100 dolarlık' or 'bakiyemin %10'u'."""
    if o.notional_currency == "TL":
        return (
            None,
            "",
            clarify(
                lang,
                "Futures emirleri USDT ile ölçülür; TL tutarını çeviremem. Tutarı USDT olarak "
                "ya da miktar olarak yazın ('100 dolarlık ETH al').",
                "Futures orders are sized in USDT; I do not convert TL. Give the amount in USD "
                "or as a quantity ('buy 100 usd of ETH').",
                ["100 dolarlık ETH al", "buy 100 usd of eth"],
            ),
        )
    notional = o.notional
    note = ""
    if notional is None and o.balance_pct is not None:
        available = ctx.balance.get("availableBalance")
        if available is None or not (0 < o.balance_pct <= 100):
            return (
                None,
                "",
                clarify(
                    lang,
                    "Bakiyenizi okuyamadım ya da yüzde geçersiz; tutarı USDT olarak yazın.",
                    "I could not read your balance or the percentage is invalid; give the "
                    "amount in USD.",
                    ["bakiyem", "100 dolarlık ETH al"],
                ),
            )
        notional = available * o.balance_pct / 100
        note = in_language(
            lang,
            f" Tutar: kullanılabilir bakiyenin %{num(o.balance_pct, lang)}'i = "
            f"{num(notional.quantize(Decimal('0.01')), lang)} USDT.",
            f" Amount: {num(o.balance_pct, lang)}% of the available balance = "
            f"{num(notional.quantize(Decimal('0.01')), lang)} USDT.",
        )
    price = o.price or o.stop_price or ctx.marks.get(symbol)
    if notional is None or notional <= 0 or price is None or price <= 0:
        return (
            None,
            "",
            clarify(
                lang,
                f"{symbol} fiyatını bilmiyorum; tutarı miktara çeviremem. Miktarı yazın "
                f"(örnek: '0,01 {symbol[:-4]} al').",
                f"I do not know the {symbol} price, so I cannot turn the amount into a "
                f"quantity. Give the quantity (e.g. 'buy 0.01 {symbol[:-4]}').",
                [f"0,01 {symbol[:-4]} al", f"buy 0.01 {symbol[:-4].lower()}"],
            ),
        )
    quantity = _step_down(notional / price, ctx.steps.get(symbol))
    if quantity <= 0:
        return (
            None,
            "",
            clarify(
                lang,
                f"{num(notional, lang)} USDT, {symbol} için bir adımdan az; tutarı artırın.",
                f"{num(notional, lang)} USD is less than one step of {symbol}; raise it.",
                [f"0,01 {symbol[:-4]} al"],
            ),
        )
    note += in_language(
        lang,
        f" {num(notional, lang)} USDT / {num(price, lang)} fiyat = {num(quantity, lang)} adet "
        "(adıma aşağı yuvarlandı).",
        f" {num(notional, lang)} USD / price {num(price, lang)} = {num(quantity, lang)} "
        "(rounded down to the step).",
    )
    return quantity, note, None


def _order_place(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    o = order_slots(s, ctx)
    problem = _number_problem(o, lang)
    if problem:
        return problem
    defaults: list[str] = []
    symbol = o.symbol or ctx.symbol
    if symbol is None and ctx.hedge and o.position_side:
        # "long pozisyonuma 0,01 ekle": the one symbol whose long is open
        named = [r for r in _held_sides(ctx) if r[1] == o.position_side]
        if len(named) == 1:
            symbol = named[0][0]
    no_numbers = not s.numbers
    if symbol is None:
        if not no_numbers or o.live:
            return clarify(
                lang,
                "Hangi sembol? Örnek: '0,01 ETH al'.",
                "Which symbol? Example: 'buy 0.01 ETH'.",
                ["0,01 ETH al", "buy 0.01 btc"],
            )
        symbol = DEFAULT_ORDER_SYMBOL
        defaults.append("symbol")
    side = o.side or {"LONG": "BUY", "SHORT": "SELL"}.get(o.position_side or "")
    if side is None:
        if not no_numbers or o.live:
            return clarify(
                lang,
                f"Alış mı satış mı? Örnek: '{symbol[:-4]} 0,01 al'.",
                f"Buy or sell? Example: 'buy 0.01 {symbol[:-4]}'.",
                [f"{symbol[:-4]} 0,01 al", f"{symbol[:-4]} 0,01 sat"],
            )
        side = "BUY"
        defaults.append("side")
    quantity = o.quantity
    note = ""
    if quantity is None and (o.notional is not None or o.balance_pct is not None):
        quantity, note, problem = _notional_quantity(o, symbol, ctx, lang)
        if problem:
            return problem
    if quantity is None or quantity <= 0:
        # a default size only for a dry-run that names no number at all ("dry-run emir")
        if not no_numbers or o.live or symbol not in DEFAULT_QUANTITIES:
            return clarify(
                lang,
                f"{symbol} için miktar yazın. Örnek: '{symbol[:-4]} 0,01 al'.",
                f"Give a quantity for {symbol}. Example: 'buy 0.01 {symbol[:-4]}'.",
                [f"{symbol[:-4]} 0,01 al", f"buy 0.01 {symbol[:-4].lower()}"],
            )
        quantity = Decimal(DEFAULT_QUANTITIES[symbol])
        defaults.append("quantity")
    if s.has("limit") and o.price is None:
        return clarify(
            lang,
            "Limit emir için fiyat gerekli. Örnek: '0,01 BTC limit al 60000'.",
            "A limit order needs a price. Example: 'buy 0.01 BTC limit at 60000'.",
            ["0,01 BTC limit al 60000", "buy 0.01 BTC limit at 60000"],
        )
    if o.leverage is not None:
        return clarify(
            lang,
            "Kaldıraç ve emir ayrı işlemlerdir: önce kaldıracı değiştirin ('ETH kaldıraç 5x'), "
            "sonra emri verin.",
            "Leverage and the order are two actions: change the leverage first ('set ETH "
            "leverage to 5'), then place the order.",
            [f"{symbol[:-4]} kaldıraç {o.leverage}x"],
        )
    position_side = None
    if ctx.hedge:
        position_side, question = _hedge_open_side(s, o, symbol, side, ctx, lang)
        if question:
            return question
        o.reduce_only = False  # Binance refuses reduceOnly in hedge mode; the side closes
        held = ctx.sides.get((symbol, position_side))
        protective = (
            o.order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT")
            and bool(held)
            and side == CLOSES[position_side]
        )
        if (
            protective
            and o.order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET")
            and quantity >= abs(held)
        ):
            stop = o.stop_price if o.order_type == "STOP_MARKET" else None
            take = None if stop is not None else (o.take_profit or o.stop_price)
            return _protect_whole(symbol, held, stop, take, o.live, ctx, lang, position_side)
    else:
        held = ctx.positions.get(symbol)
        protective = (
            o.order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT")
            and held is not None
            and (held > 0) == (side == "SELL")
        )
    if protective and not ctx.hedge:
        # a stop on the other side of a held position protects it: it may only reduce it
        o.reduce_only = True
        if o.order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and quantity >= abs(held):
            # the whole position: the cockpit's TP/SL on the position (closePosition)
            stop = o.stop_price if o.order_type == "STOP_MARKET" else None
            take = None if stop is not None else (o.take_profit or o.stop_price)
            return _protect_whole(symbol, held, stop, take, o.live, ctx, lang)
    body: dict = {
        "symbol": symbol,
        "side": side,
        "type": o.order_type or "MARKET",
        "quantity": _decimal_str(quantity),
    }
    if o.price is not None:
        body["price"] = _decimal_str(o.price)
    if o.stop_price is not None or o.take_profit is not None:
        body["stopPrice"] = _decimal_str(
            o.stop_price if o.stop_price is not None else o.take_profit
        )
    if o.time_in_force:
        body["timeInForce"] = o.time_in_force
    if o.reduce_only:
        body["reduceOnly"] = True
    if position_side:
        body["positionSide"] = position_side
    body["dryRun"] = not o.live
    mode = in_language(lang, "GERÇEK" if o.live else "dry-run", "LIVE" if o.live else "dry-run")
    extra = ""
    if body.get("price"):
        extra += in_language(
            lang, f", fiyat {num(body['price'], lang)}", f", price {num(body['price'], lang)}"
        )
    if body.get("stopPrice"):
        extra += in_language(
            lang,
            f", tetik {num(body['stopPrice'], lang)}",
            f", trigger {num(body['stopPrice'], lang)}",
        )
    if o.reduce_only:
        extra += ", reduce-only"
    if position_side:
        closes = side == CLOSES[position_side]
        name_tr, name_en = _side_name(position_side, "tr"), _side_name(position_side, "en")
        extra += in_language(
            lang,
            f", {name_tr} tarafı azaltır" if closes else f", {name_tr} taraf",
            (f", reduces the {name_en} side" if closes else f", {name_en} side")
            + f", positionSide {position_side}",
        )
    reply = in_language(
        lang,
        f"{symbol} için {num(quantity, lang)} adet {_type_word(body['type'], 'tr')} "
        f"{_side_word(side, 'tr')} emri ({mode}{extra}) hazırlandı.",
        f"Prepared a {_type_word(body['type'], 'en')} {_side_word(side, 'en')} order for "
        f"{num(quantity, lang)} {symbol} ({mode}{extra}).",
    )
    reply += note
    if protective and position_side:
        reply += in_language(
            lang,
            f" Açık {_pos_label(symbol, position_side, lang)} pozisyonunu korur.",
            f" It protects the open {_pos_label(symbol, position_side, lang)} position.",
        )
    elif protective:
        reply += in_language(
            lang,
            f" Açık {symbol} pozisyonunu korur (reduce-only).",
            f" It protects the open {symbol} position (reduce-only).",
        )
    if defaults:
        names = ", ".join(in_language(lang, *_DEFAULT_NAMES[d]) for d in defaults)
        reply += in_language(lang, f" Varsayılan kullanıldı: {names}.", f" Defaults used: {names}.")
    if o.live:
        reply += in_language(
            lang,
            " Gerçek emir: çalıştırmadan önce onay gerekir.",
            " Real order: it needs your confirmation before it runs.",
        )
    answer = Answer(
        "order.place", "POST", "/futures/order.place", body, reply, confirm_required=o.live
    )
    answer.defaults_used = defaults
    answer.suggestions = [
        in_language(lang, "açık emirler", "open orders"),
        in_language(lang, "pozisyonlarım", "my positions"),
    ]
    return answer


_HALF_WORDS = ("yari", "half", "yarim")
_QUARTER_WORDS = ("ceyre", "quarter")


def _close_fraction(s: Sentence, o: OrderSlots) -> Decimal | None:
    """'yarısını kapat' → 1/2, 'çeyreğini' → 1/4, '%30'unu kapat' → 0.3; None: all of it."""
    for tok in s.tokens:
        if tok.word.startswith(_HALF_WORDS) and tok.number is None:
            return Decimal("0.5")
        if tok.word.startswith(_QUARTER_WORDS):
            return Decimal("0.25")
    if o.percent is not None and 0 < o.percent <= 100:
        return o.percent / 100
    return None


def _position_choices(ctx: PageContext, lang: str, verb_tr: str, verb_en: str) -> list[dict]:
    return [
        {
            "label": f"{sym} {num(abs(amt), lang)} {'long' if amt > 0 else 'short'}",
            "prompt": in_language(
                lang, f"{sym[:-4]} pozisyonumu {verb_tr}", f"{verb_en} my {sym[:-4]}"
            ),
        }
        for sym, amt in sorted(ctx.positions.items())
    ]


def _which_position(s: Sentence, ctx: PageContext, lang: str, verb_tr: str, verb_en: str):
    """(symbol, None) for the position meant, or (None, a question with choices)."""
    symbol = s.first_symbol()
    if symbol is None and len(ctx.positions) == 1:
        return next(iter(ctx.positions)), None  # the one open position
    if symbol is None and len(ctx.positions) > 1:
        answer = clarify(
            lang,
            "Birden çok açık pozisyon var; hangisi?",
            "You hold more than one position; which one?",
            [],
        )
        answer.choices = _position_choices(ctx, lang, verb_tr, verb_en)
        return None, answer
    return symbol or ctx.symbol, None


# ---------------------------------------------------------------- hedge mode (positionSide)


def _side_name(position_side: str, lang: str, *, capital: bool = False) -> str:
    """A side as the user reads it: Uzun/Kısa on Turkish replies, long/short (Long/Short)."""
    if lang == "tr":
        return "Uzun" if position_side == "LONG" else "Kısa"
    word = "long" if position_side == "LONG" else "short"
    return word.capitalize() if capital else word


OPENS = {"LONG": "BUY", "SHORT": "SELL"}  # the order side that opens (or adds to) a side
CLOSES = {"LONG": "SELL", "SHORT": "BUY"}  # the order side that closes (reduces) it


def _held_sides(ctx: PageContext, symbol: str | None = None) -> list[tuple[str, str, Decimal]]:
    """(symbol, side, amount) of every open side, LONG before SHORT, of symbol if named."""
    rows = [
        (sym, side, amount)
        for (sym, side), amount in ctx.sides.items()
        if amount and (symbol is None or sym == symbol)
    ]
    return sorted(rows, key=lambda r: (r[0], r[1] != "LONG"))


def _side_choice_prompt(s: Sentence, symbol: str, side: str, lang: str, verb_tr, verb_en) -> str:
    """The sentence again with the side named, so the button's answer cannot be the question."""
    base = symbol[:-4]
    if not s.numbers:
        return in_language(
            lang,
            f"{base} {side.lower()} pozisyonumu {verb_tr}",
            f"{verb_en} my {base} {side.lower()}",
        )
    # the side right after the symbol ("ETH long zarar durdur 3000"): after the numbers it
    # would sit beside one and could be read as its cue
    words = [t.raw for t in s.tokens]
    at = s.symbols[0][0] + 1 if s.symbols else 0
    named = [side.lower()] if s.symbols else [base, side.lower()]
    return " ".join(words[:at] + named + words[at:])


def _which_side(s: Sentence, ctx: PageContext, lang: str, verb_tr: str, verb_en: str):
    """Hedge mode: (symbol, positionSide, held amount or None) of the position meant, or
    (None, None, a question naming the sides): with both sides open and none named, the
    copilot asks; it never picks one."""
    _order_side, named = _side_words(s)
    symbol = s.first_symbol()
    held = [r for r in _held_sides(ctx, symbol) if named is None or r[1] == named]
    if len(held) == 1:
        return held[0][0], held[0][1], held[0][2]
    if len(held) > 1:
        symbols = {r[0] for r in held}
        if len(symbols) == 1:
            sym = held[0][0]
            listed_tr = " ve ".join(
                f"{_side_name(sd, 'tr')} {num(abs(a), 'tr')}" for _, sd, a in held
            )
            listed_en = " and ".join(
                f"{_side_name(sd, 'en')} {num(abs(a), 'en')}" for _, sd, a in held
            )
            answer = clarify(
                lang,
                f"{sym} için iki taraf da açık ({listed_tr}); hangisi? Uzun mu, Kısa mı?",
                f"Both sides of {sym} are open ({listed_en}); which one, the long or the short?",
                [],
            )
        else:
            answer = clarify(
                lang,
                "Birden çok açık pozisyon var; hangisi?",
                "You hold more than one position; which one?",
                [],
            )
        answer.choices = [
            {
                "label": f"{sym} {_side_name(sd, lang, capital=True)} {num(abs(a), lang)}",
                "prompt": _side_choice_prompt(s, sym, sd, lang, verb_tr, verb_en),
            }
            for sym, sd, a in held
        ]
        return None, None, answer
    return symbol or ctx.symbol, named, None


def _no_side_held(symbol: str, side: str | None, lang: str) -> Answer:
    """Hedge mode: the side named (or any side) of symbol is not open."""
    if side is None:
        return clarify(
            lang,
            f"{symbol} için açık pozisyon görmüyorum (ne Uzun ne Kısa).",
            f"I see no open {symbol} position (neither long nor short).",
            [in_language(lang, "pozisyonlarım", "my positions")],
        )
    return clarify(
        lang,
        f"{symbol} için açık {_side_name(side, 'tr')} pozisyon görmüyorum.",
        f"I see no open {symbol} {_side_name(side, 'en')} position.",
        [in_language(lang, "pozisyonlarım", "my positions")],
    )


def _hedge_open_side(
    s: Sentence, o: OrderSlots, symbol: str, side: str, ctx: PageContext, lang: str
) -> tuple[str | None, Answer | None]:
    """The positionSide of a new order on a hedge account, or a question.

    A named side ("BTC long aç", "short pozisyonuma ekle") is that side; reduce-only words or a
    stop on the far side of a held position close (SELL on LONG, BUY on SHORT); a plain buy or
    sell opens its side (BUY LONG, SELL SHORT), unless the side it would close is open: then
    "sat" could mean either, and the copilot asks.
    """
    if o.position_side is not None:
        return o.position_side, None
    closing = "LONG" if side == "SELL" else "SHORT"
    if o.reduce_only:
        return closing, None
    held = ctx.sides.get((symbol, closing))
    if not held:
        return ("LONG" if side == "BUY" else "SHORT"), None
    if o.order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT"):
        return closing, None  # a stop against a held side protects it
    opening = "LONG" if side == "BUY" else "SHORT"
    base = symbol[:-4]
    qty = _decimal_str(o.quantity) + " " if o.quantity is not None else ""
    answer = clarify(
        lang,
        f"Hesap çift yönlü pozisyon modunda ve {symbol} {_side_name(closing, 'tr')} "
        "pozisyonu açık: "
        f"{_side_word(side, 'tr')} emri yeni bir {_side_name(opening, 'tr')} mı açsın, "
        f"{_side_name(closing, 'tr')} pozisyonu mu azaltsın?",
        f"The account is in hedge mode and your {symbol} {_side_name(closing, 'en')} is open: "
        f"should the {_side_word(side, 'en')} open a {_side_name(opening, 'en')} or reduce the "
        f"{_side_name(closing, 'en')}?",
        [],
    )
    answer.choices = [
        {
            "label": in_language(
                lang,
                f"{_side_name(opening, 'tr')} aç",
                f"Open a {_side_name(opening, 'en')}",
            ),
            "prompt": in_language(
                lang,
                f"{base} {opening.lower()} aç {qty}".strip(),
                f"open a {qty}{base} {opening.lower()}",
            ),
        },
        {
            "label": in_language(
                lang,
                f"{_side_name(closing, 'tr')} pozisyonu azalt",
                f"Reduce the {_side_name(closing, 'en')}",
            ),
            "prompt": in_language(
                lang,
                f"{base} {closing.lower()} pozisyonumu {qty}kapat",
                f"close {qty}of my {base} {closing.lower()}",
            ),
        },
    ]
    return None, answer


def _positions_list(ctx: PageContext, lang: str) -> Answer:
    """'pozisyonlarım': on a hedge account each side on its own line, Uzun/Kısa (Long/Short)."""
    answer = _read(
        "positions.list",
        lang,
        in_language(lang, "Pozisyonlar getiriliyor.", "Fetching your positions."),
    )
    held = _held_sides(ctx)
    if not ctx.hedge or not held:
        return answer
    parts = []
    for sym, side, amount in held:
        entry = (ctx.side_info.get((sym, side)) or {}).get("entryPrice")
        shown = f"{sym} {_side_name(side, lang, capital=True)} {num(abs(amount), lang)}"
        if entry:
            shown += in_language(
                lang, f" (giriş {num(entry, lang)})", f" (entry {num(entry, lang)})"
            )
        parts.append(shown)
    answer.reply = (
        in_language(
            lang,
            "Hesap çift yönlü pozisyon modunda; açık pozisyonlar: ",
            "The account is in hedge mode; open positions: ",
        )
        + "; ".join(parts)
        + "."
    )
    return answer


def _position_close(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    o = order_slots(s, ctx)
    fraction = _close_fraction(s, o)
    if fraction is None:
        problem = _number_problem(o, lang)
        if problem:
            return problem
    if ctx.hedge:
        return _hedge_close(s, o, fraction, ctx, lang)
    symbol, question = _which_position(s, ctx, lang, "kapat", "close")
    if question:
        return question
    if symbol is None:
        return clarify(
            lang,
            "Hangi sembolün pozisyonu kapatılsın? Örnek: 'BTC long 0,01 kapat'.",
            "Which symbol's position? Example: 'close my 0.01 BTC long'.",
            ["BTC long 0,01 kapat", "close my 0.01 BTC long", "pozisyonlarım"],
        )
    held = ctx.positions.get(symbol)
    side = o.side or {"LONG": "SELL", "SHORT": "BUY"}.get(o.position_side or "")
    if held is not None:
        held_side = "SELL" if held > 0 else "BUY"
        if side is not None and side != held_side and o.position_side is None:
            side = held_side  # "BTC sat, kapat": closing a long is a sell whatever was said
        elif side is not None and side != held_side:
            return clarify(
                lang,
                f"{symbol} pozisyonunuz {'long' if held > 0 else 'short'}; söylediğiniz yön "
                "tutmuyor. Pozisyonlarınıza bakın.",
                f"Your {symbol} position is {'long' if held > 0 else 'short'}; the side you "
                "named does not match. Check your positions.",
                [in_language(lang, "pozisyonlarım", "my positions")],
            )
        side = held_side
    quantity = o.quantity
    if fraction is not None and held is not None:
        quantity = _step_down(abs(held) * fraction, ctx.steps.get(symbol) or _step_of(held))
    elif fraction is not None and o.quantity is not None:
        # "close half of my eth long 0.5": the number names the position, the half is closed
        quantity = _step_down(o.quantity * fraction, _step_of(o.quantity * fraction))
    elif fraction is not None:
        quantity = None
    elif quantity is None and held is not None:
        quantity = abs(held)
    if held is not None and quantity is not None and quantity > abs(held):
        return clarify(
            lang,
            f"{symbol} pozisyonu {num(abs(held), lang)} adet; {num(quantity, lang)} kapatılamaz.",
            f"The {symbol} position is {num(abs(held), lang)}; cannot close {num(quantity, lang)}.",
            [in_language(lang, f"{symbol[:-4]} pozisyonumu kapat", f"close my {symbol[:-4]}")],
        )
    if side is None or quantity is None or quantity <= 0:
        return clarify(
            lang,
            f"{symbol} için açık pozisyon görmüyorum; yönü ve miktarı yazın. "
            f"Örnek: '{symbol[:-4]} long 0,01 kapat'.",
            f"I see no open {symbol} position; give its side and size. Example: "
            f"'close my 0.01 {symbol[:-4]} long'.",
            [f"{symbol[:-4]} long 0,01 kapat", "pozisyonlarım"],
        )
    body = {
        "symbol": symbol,
        "side": side,
        "type": "MARKET",
        "quantity": _decimal_str(quantity),
        "reduceOnly": True,
        "dryRun": not o.live,
    }
    mode = in_language(lang, "GERÇEK" if o.live else "dry-run", "LIVE" if o.live else "dry-run")
    part = ""
    if fraction is not None and held is not None:
        part = in_language(
            lang,
            f" ({num(abs(held), lang)} adetlik pozisyonun {num(quantity, lang)} adedi)",
            f" ({num(quantity, lang)} of the {num(abs(held), lang)} position)",
        )
    reply = in_language(
        lang,
        f"{symbol} pozisyonu {num(quantity, lang)} adet reduce-only piyasa "
        f"{_side_word(side, 'tr')} emriyle kapatılacak{part} ({mode}). Onay gerekir.",
        f"The {symbol} position will be closed with a reduce-only market "
        f"{_side_word(side, 'en')} of {num(quantity, lang)}{part} ({mode}). Needs your "
        "confirmation.",
    )
    return _close_answer(body, reply, lang)


def _hedge_close(s: Sentence, o: OrderSlots, fraction, ctx: PageContext, lang: str) -> Answer:
    """Close one side on a hedge account: a MARKET order on that positionSide (SELL closes a
    LONG, BUY a SHORT), never reduceOnly (Binance refuses it in hedge mode)."""
    symbol, _named, held = _which_side(s, ctx, lang, "kapat", "close")
    if isinstance(held, Answer):
        return held
    if symbol is None:
        return clarify(
            lang,
            "Hangi sembolün pozisyonu kapatılsın? Örnek: 'BTC long pozisyonumu kapat'.",
            "Which symbol's position? Example: 'close my BTC long'.",
            ["BTC long pozisyonumu kapat", "close my BTC long", "pozisyonlarım"],
        )
    if held is None:
        return _no_side_held(symbol, _named, lang)
    position_side = "LONG" if held > 0 else "SHORT"
    side = CLOSES[position_side]
    label_tr = f"{symbol} {_side_name(position_side, 'tr')}"
    label_en = f"{symbol} {_side_name(position_side, 'en')}"
    quantity = o.quantity
    if fraction is not None:
        quantity = _step_down(abs(held) * fraction, ctx.steps.get(symbol) or _step_of(held))
    elif quantity is None:
        quantity = abs(held)
    if quantity > abs(held):
        return clarify(
            lang,
            f"{label_tr} pozisyonu {num(abs(held), lang)} adet; {num(quantity, lang)} kapatılamaz.",
            f"The {label_en} position is {num(abs(held), lang)}; cannot close "
            f"{num(quantity, lang)}.",
            [in_language(lang, f"{symbol[:-4]} pozisyonumu kapat", f"close my {symbol[:-4]}")],
        )
    if quantity <= 0:
        return clarify(
            lang,
            f"{label_tr} pozisyonunun bu kadarı bir adımdan az; miktarı yazın "
            f"(örnek: '{symbol[:-4]} {position_side.lower()} pozisyonumu 0,01 kapat').",
            f"That share of the {label_en} position is less than one step; give the quantity "
            f"(e.g. 'close 0.01 of my {symbol[:-4]} {position_side.lower()}').",
            [in_language(lang, f"{symbol[:-4]} pozisyonumu kapat", f"close my {symbol[:-4]}")],
        )
    body = {
        "symbol": symbol,
        "side": side,
        "type": "MARKET",
        "quantity": _decimal_str(quantity),
        "positionSide": position_side,
        "dryRun": not o.live,
    }
    mode = in_language(lang, "GERÇEK" if o.live else "dry-run", "LIVE" if o.live else "dry-run")
    part = ""
    if quantity != abs(held):
        part = in_language(
            lang,
            f" ({num(abs(held), lang)} adetlik pozisyonun {num(quantity, lang)} adedi)",
            f" ({num(quantity, lang)} of the {num(abs(held), lang)} position)",
        )
    reply = in_language(
        lang,
        f"{label_tr} pozisyonu {num(quantity, lang)} adet piyasa {_side_word(side, 'tr')} "
        f"emriyle kapatılacak{part} (çift yönlü mod: yalnızca {_side_name(position_side, 'tr')} "
        f"taraf; {mode}). Onay gerekir.",
        f"The {label_en} position will be closed with a market {_side_word(side, 'en')} of "
        f"{num(quantity, lang)}{part} (hedge mode: the {_side_name(position_side, 'en')} side "
        f"only, positionSide {position_side}; {mode}). Needs your confirmation.",
    )
    return _close_answer(body, reply, lang)


def _step_of(amount: Decimal) -> Decimal:
    """The finest step a held amount shows (0.020 → 0.001), when the filters are unknown."""
    exponent = amount.normalize().as_tuple().exponent
    return Decimal(1).scaleb(min(int(exponent), 0) if isinstance(exponent, int) else 0)


def _protect(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    """Stop loss / take profit / trailing on a held position, through the cockpit's endpoints.

    A TP/SL on the whole position is POST /futures/position.protect (closePosition: Binance
    closes whatever is held when it fires); a named part of it is a reduce-only order of that
    size, because a closePosition order carries no quantity.
    """
    o = order_slots(s, ctx)
    trailing = _says_trailing(s)
    position_side = None
    if ctx.hedge:
        symbol, named, held = _which_side(s, ctx, lang, "koru", "protect")
        if isinstance(held, Answer):
            return held
        if symbol is not None and held is None:
            return _no_side_held(symbol, named, lang)
        if held is not None:
            position_side = "LONG" if held > 0 else "SHORT"
    else:
        symbol, question = _which_position(s, ctx, lang, "koru", "protect")
        if question:
            return question
        held = ctx.positions.get(symbol) if symbol else None
    if symbol is None or held is None:
        return clarify(
            lang,
            f"Korunacak açık {symbol or ''} pozisyonu görmüyorum; stop/kâr al emri yalnızca "
            "açık bir pozisyonu azaltabilir.".replace("  ", " "),
            f"I see no open {symbol or ''} position to protect; a stop loss or take profit "
            "only reduces an open position.".replace("  ", " "),
            [in_language(lang, "pozisyonlarım", "my positions")],
        )
    side = "SELL" if held > 0 else "BUY"
    quantity = o.quantity if o.quantity is not None else abs(held)
    if quantity > abs(held):
        quantity = abs(held)
    if trailing:
        rate = o.percent
        if rate is None or not (Decimal("0.1") <= rate <= 10):
            return clarify(
                lang,
                "İz süren stop için geri çekilme oranı gerekli (%0,1–%10). Örnek: "
                f"'{symbol[:-4]} %1 trailing stop'.",
                "A trailing stop needs a callback rate (0.1%–10%). Example: "
                f"'{symbol[:-4]} 1% trailing stop'.",
                [f"{symbol[:-4]} %1 trailing stop"],
            )
        # the endpoint takes the side and reduce-only from the position; the size is stated
        body = {
            "symbol": symbol,
            "callbackRate": _decimal_str(rate),
            "quantity": _decimal_str(quantity),
            "dryRun": not o.live,
        }
        if position_side:
            body["positionSide"] = position_side
        mode = in_language(lang, "GERÇEK" if o.live else "dry-run", "LIVE" if o.live else "dry-run")
        reduce = _reduce_words(position_side, lang)
        reply = in_language(
            lang,
            f"{_pos_label(symbol, position_side, lang)} pozisyonuna %{num(rate, lang)} iz süren "
            f"stop ({num(quantity, lang)} adet {_side_word(side, 'tr')}, {reduce}{mode}). Onay "
            "gerekir.",
            f"A {num(rate, lang)}% trailing stop on the {_pos_label(symbol, position_side, lang)}"
            f" position ({_side_word(side, 'en')} {num(quantity, lang)}, {reduce}{mode}). Needs "
            "your confirmation.",
        )
        return Answer("position.trailing", "POST", TRAILING_PATH, body, reply)
    stop, take = o.stop_price, o.take_profit
    if _says_take_profit(s) and take is None and stop is not None:
        stop, take = None, stop
    if stop is None and take is None:
        leftovers = o.unplaced or ([o.price] if o.price is not None else [])
        if len(leftovers) == 1:
            value = Decimal(str(leftovers[0]).replace(",", "."))
            take, stop = (value, None) if _says_take_profit(s) else (None, value)
    if stop is None and take is None:
        return clarify(
            lang,
            f"Tetik fiyatı gerekli. Örnek: '{symbol[:-4]} stop loss 3300' ya da "
            f"'{symbol[:-4]} kâr al 3600'.",
            f"A trigger price is needed. Example: '{symbol[:-4]} stop loss 3300' or "
            f"'{symbol[:-4]} take profit 3600'.",
            [f"{symbol[:-4]} stop loss 3300", f"{symbol[:-4]} kâr al 3600"],
        )
    if quantity < abs(held):
        return _protect_part(symbol, held, quantity, stop, take, o.live, ctx, lang, position_side)
    return _protect_whole(symbol, held, stop, take, o.live, ctx, lang, position_side)


def _pos_label(symbol: str, position_side: str | None, lang: str) -> str:
    """'BTCUSDT', or on a hedge account 'BTCUSDT Uzun' / 'BTCUSDT long'."""
    return f"{symbol} {_side_name(position_side, lang)}" if position_side else symbol


def _reduce_words(position_side: str | None, lang: str) -> str:
    """What makes the order only shrink the position, for the reply: reduce-only on a one-way
    account, the position's own side on a hedge one (where Binance refuses reduceOnly)."""
    if position_side is None:
        return "reduce-only, "
    return in_language(
        lang,
        f"yalnızca {_side_name(position_side, 'tr')} taraf, ",
        f"the {_side_name(position_side, 'en')} side only, positionSide {position_side}, ",
    )


PROTECT_PATH = "/futures/position.protect"


def _wrong_side(symbol, held, stop, take, ctx: PageContext, lang: str) -> Answer | None:
    """A trigger on the wrong side of the mark would fire at once: a question, not an order."""
    mark = ctx.marks.get(symbol)
    if mark is None:
        return None
    for trigger, is_stop in ((stop, True), (take, False)):
        # a long's stop is below the mark and its take-profit above; a short's the other way
        if trigger is not None and (trigger < mark) != (is_stop == (held > 0)):
            return clarify(
                lang,
                f"{num(trigger, lang)} tetiği {symbol} işaret fiyatının ({num(mark, lang)}) "
                "yanlış tarafında; hemen tetiklenirdi. Fiyatı kontrol edin.",
                f"A trigger of {num(trigger, lang)} is on the wrong side of the {symbol} mark "
                f"({num(mark, lang)}); it would fire at once. Check the price.",
                [in_language(lang, "pozisyonlarım", "my positions")],
            )
    return None


def _protect_whole(
    symbol, held, stop, take, live, ctx: PageContext, lang: str, position_side: str | None = None
) -> Answer:
    """TP and/or SL on the whole position: POST /futures/position.protect (closePosition)."""
    problem = _wrong_side(symbol, held, stop, take, ctx, lang)
    if problem:
        return problem
    body: dict = {"symbol": symbol}
    if position_side:
        body["positionSide"] = position_side
    legs_tr, legs_en = [], []
    if stop is not None:
        body["stopLoss"] = _decimal_str(stop)
        legs_tr.append(f"zarar durdur tetiği {num(stop, lang)}")
        legs_en.append(f"stop loss at {num(stop, lang)}")
    if take is not None:
        body["takeProfit"] = _decimal_str(take)
        legs_tr.append(f"kâr al tetiği {num(take, lang)}")
        legs_en.append(f"take profit at {num(take, lang)}")
    body["dryRun"] = not live
    side = "SELL" if held > 0 else "BUY"
    size = num(abs(held), lang)
    mode = in_language(lang, "GERÇEK" if live else "dry-run", "LIVE" if live else "dry-run")
    label = _pos_label(symbol, position_side, lang)
    reply = in_language(
        lang,
        f"{label} pozisyonunun tamamına {' ve '.join(legs_tr)} ({mode}): tetiklenince "
        f"pozisyonun tamamı (şu an {size} adet) piyasa {_side_word(side, 'tr')} emriyle "
        "kapanır (closePosition). Varsa aynı türden önceki emir iptal edilip yerine konur. "
        "Onay gerekir.",
        f"{' and '.join(legs_en).capitalize()} on the whole {label} position ({mode}): when it "
        f"fires, the whole position (now {size}) is closed by a market "
        f"{_side_word(side, 'en')} (closePosition). An earlier one of the same kind is "
        "cancelled and replaced. Needs your confirmation.",
    )
    return Answer(
        "position.protect",
        "POST",
        PROTECT_PATH,
        body,
        reply,
        suggestions=[in_language(lang, "açık emirler", "open orders")],
    )


def _protect_part(
    symbol, held, quantity, stop, take, live, ctx, lang, position_side=None
) -> Answer:
    """A TP or SL on a named part of the position: a reduce-only order of that size."""
    if stop is not None and take is not None:
        return clarify(
            lang,
            "Pozisyonun bir kısmına tek seferde tek koruma emri verilir: önce zarar durdur, "
            "sonra kâr al yazın (ya da miktarı yazmayın, pozisyonun tamamı korunur).",
            "A part of a position takes one protective order at a time: write the stop loss, "
            "then the take profit (or name no size to protect the whole position).",
            [f"{symbol[:-4]} stop loss {_decimal_str(stop)}"],
        )
    problem = _wrong_side(symbol, held, stop, take, ctx, lang)
    if problem:
        return problem
    side = "SELL" if held > 0 else "BUY"
    kind = "STOP_MARKET" if stop is not None else "TAKE_PROFIT_MARKET"
    trigger = stop if stop is not None else take
    body = {
        "symbol": symbol,
        "side": side,
        "type": kind,
        "quantity": _decimal_str(quantity),
        "stopPrice": _decimal_str(trigger),
        "reduceOnly": True,
        "dryRun": not live,
    }
    if position_side:
        # hedge mode: the side's own positionSide makes it a close; reduceOnly is refused there
        del body["reduceOnly"]
        body["positionSide"] = position_side
    what = in_language(
        lang,
        "zarar durdur" if stop is not None else "kâr al",
        "stop loss" if stop is not None else "take profit",
    )
    mode = in_language(lang, "GERÇEK" if live else "dry-run", "LIVE" if live else "dry-run")
    whole = f"{symbol[:-4]} {'stop loss' if stop is not None else 'take profit'} " + (
        _decimal_str(trigger)
    )
    if position_side:
        whole += f" {position_side.lower()}"
    label = _pos_label(symbol, position_side, lang)
    reduce = _reduce_words(position_side, lang).removesuffix(", ")
    reply = in_language(
        lang,
        f"{label} pozisyonunun {num(quantity, lang)} adedine {what}: tetik "
        f"{num(trigger, lang)}, {_side_word(side, 'tr')}, {reduce} ({mode}). Pozisyonun "
        f"tamamı için: '{whole}'.",
        f"{what.capitalize()} on {num(quantity, lang)} of the {label} position: trigger "
        f"{num(trigger, lang)}, {_side_word(side, 'en')}, {reduce} ({mode}). For the whole "
        f"position: '{whole}'.",
    )
    if live:
        reply += in_language(
            lang,
            " Gerçek emir: çalıştırmadan önce onay gerekir.",
            " Real order: it needs your confirmation before it runs.",
        )
    return Answer(
        "order.place",
        "POST",
        "/futures/order.place",
        body,
        reply,
        confirm_required=live,
        suggestions=[whole],
    )


TRAILING_PATH = "/futures/order.trailing"
MODIFY_PATH = "/futures/order.modify"


def _says_trailing(s: Sentence) -> bool:
    text = " ".join(t.word for t in s.tokens)
    return bool(re.search(r"trailing|iz suren|izleyen stop|takip eden stop|takipli", text))


def _says_take_profit(s: Sentence) -> bool:
    text = " ".join(t.word for t in s.tokens)
    return bool(re.search(r"\btake profit\b|\btp\b|\bkar al\b|\bkar alim\b|\bkar realize", text))


def _says_stop_loss(s: Sentence) -> bool:
    text = " ".join(t.word for t in s.tokens)
    return bool(
        re.search(r"\bstop ?loss\b|\bsl\b|zarar durdur|zarar kes|\bstoplos|stop-loss", text)
    )


def _modify(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    """Move an open order's price or size: the one open order meant, or a choice."""
    o = order_slots(s, ctx)
    symbol = s.first_symbol()
    order_id = None
    for i, value, _unit in s.numbers:
        if _word(s, i + 1).startswith(("nolu", "numarali", "no")) or _word(s, i - 1) in (
            "order",
            "id",
            "#",
        ):
            order_id = int(value)
    candidates = [
        row
        for row in ctx.open_orders
        if (symbol is None or row.get("symbol") == symbol)
        and (order_id is None or str(row.get("orderId")) == str(order_id))
    ]
    if len(candidates) != 1:
        answer = clarify(
            lang,
            "Hangi emir değişsin?" if candidates else "Değiştirilecek açık emir görmüyorum.",
            "Which order should change?" if candidates else "I see no open order to change.",
            [in_language(lang, "açık emirler", "open orders")],
        )
        answer.choices = [
            {
                "label": f"{r['symbol']} {r.get('side')} {num(r.get('quantity'), lang)} @ "
                f"{num(r.get('price') or r.get('stopPrice'), lang)}",
                "prompt": in_language(
                    lang, f"{r.get('orderId')} nolu emri", f"order {r.get('orderId')}"
                ),
            }
            for r in candidates
        ]
        return answer
    row = candidates[0]
    if order_id is not None and o.quantity == order_id:
        o.quantity = None  # "4401 nolu emrin fiyatını ...": the number names the order
    new_price = o.price if o.price is not None else None
    if new_price is None and "quantity" in o.by_position:
        # "move my order to 3850": a bare number moves the price; a size is said ("0,02 adet")
        new_price, o.quantity = o.quantity, None
    if new_price is None and len(o.unplaced) == 1:
        new_price = Decimal(o.unplaced[0].replace(",", "."))
    if new_price is None and o.quantity is None:
        return clarify(
            lang,
            "Yeni fiyat ya da miktar gerekli. Örnek: 'ETH emrimin fiyatını 3100 yap'.",
            "A new price or quantity is needed. Example: 'move my ETH order to 3100'.",
            ["ETH emrimin fiyatını 3100 yap"],
        )
    body = {
        "symbol": row["symbol"],
        "orderId": int(row["orderId"]) if str(row.get("orderId", "")).isdigit() else None,
        "quantity": _decimal_str(o.quantity) if o.quantity is not None else row.get("quantity"),
        "price": _decimal_str(new_price) if new_price is not None else row.get("price"),
    }
    # the side stays the order's own (the endpoint takes none); the reply says it
    side = row.get("side")
    known = side in ("BUY", "SELL")
    side_tr = f"{_side_word(side, 'tr')} " if known else ""
    side_en = f"{_side_word(side, 'en').capitalize()} order" if known else "Order"
    reply = in_language(
        lang,
        f"{row['symbol']} {body['orderId']} nolu {side_tr}emir: fiyat {num(body['price'], lang)}"
        f", miktar {num(body['quantity'], lang)} olacak. Onay gerekir.",
        f"{side_en} {body['orderId']} on {row['symbol']}: price {num(body['price'], lang)}, "
        f"quantity {num(body['quantity'], lang)}. Needs your confirmation.",
    )
    return Answer("order.modify", "POST", MODIFY_PATH, body, reply)


def _pnl(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    """PnL today, this week, per symbol and open uPnL, from the account's own records."""
    symbol = s.first_symbol()
    parts = []
    pnl = ctx.pnl or {}
    if symbol:
        info = ctx.position_info.get(symbol) or {}
        upnl = info.get("unrealizedPnl")
        side_upnl = [
            i.get("unrealizedPnl") or Decimal(0)
            for (sym, _side), i in ctx.side_info.items()
            if sym == symbol
        ]
        if side_upnl:  # hedge mode: the symbol's open PnL is both sides'
            upnl = sum(side_upnl, Decimal(0))
        parts.append(
            in_language(
                lang,
                f"{symbol} açık PnL: {num(upnl, lang)} USDT",
                f"{symbol} open PnL: {num(upnl, lang)} USD",
            )
        )
        realized = (pnl.get("bySymbol") or {}).get(symbol)
        if realized is not None:
            parts.append(
                in_language(
                    lang,
                    f"bugün gerçekleşen: {num(realized, lang)} USDT",
                    f"realized today: {num(realized, lang)} USD",
                )
            )
    else:
        if pnl.get("today") is not None:
            parts.append(
                in_language(
                    lang,
                    f"Bugün gerçekleşen: {num(pnl['today'], lang)} USDT",
                    f"Realized today: {num(pnl['today'], lang)} USD",
                )
            )
        if pnl.get("week") is not None:
            parts.append(
                in_language(
                    lang,
                    f"bu hafta: {num(pnl['week'], lang)} USDT",
                    f"this week: {num(pnl['week'], lang)} USD",
                )
            )
        infos = list(ctx.position_info.values()) + list(ctx.side_info.values())
        open_upnl = sum(((i.get("unrealizedPnl") or Decimal(0)) for i in infos), Decimal(0))
        if infos:
            parts.append(
                in_language(
                    lang,
                    f"açık pozisyonların PnL'i: {num(open_upnl, lang)} USDT",
                    f"open positions' PnL: {num(open_upnl, lang)} USD",
                )
            )
    reply = "; ".join(parts) + "." if parts else ""
    reply += in_language(
        lang, " Risk sayfası ayrıntıyı gösterir.", " The risk page shows the details."
    ).lstrip(" " if not parts else "")
    return _read("pnl.summary", lang, reply.strip())


def _funding(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    """A read of funding: a named (or the page's) symbol rides in the path as the GET's query;
    with none, every symbol is read (no default symbol is guessed)."""
    symbol = _symbol_or_context(s, ctx)
    if symbol is None:
        reply = in_language(
            lang,
            "Tüm sembollerin fonlama oranı ve bir sonraki fonlama zamanı getiriliyor.",
            "Fetching the funding rate and next funding time of every symbol.",
        )
        return Answer("market.funding", "GET", FUNDING_PATH, None, reply)
    reply = in_language(
        lang,
        f"{symbol} fonlama oranı ve bir sonraki fonlama zamanı getiriliyor.",
        f"Fetching {symbol}'s funding rate and next funding time.",
    )
    return Answer("market.funding", "GET", f"{FUNDING_PATH}?symbol={symbol}", None, reply)


FUNDING_PATH = "/futures/premiumIndex"


def _liquidation(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    symbol = s.first_symbol()
    rows = {symbol: ctx.position_info.get(symbol)} if symbol else dict(ctx.position_info)
    for (sym, side), info in ctx.side_info.items():
        # hedge mode: each side has its own liquidation price, named with its side
        if symbol is None or sym == symbol:
            rows[_pos_label(sym, side, lang)] = info
    parts = [
        in_language(
            lang,
            f"{sym} likidasyon fiyatı {num(info.get('liquidationPrice'), lang)} "
            f"(işaret {num(info.get('markPrice'), lang)})",
            f"{sym} liquidation price {num(info.get('liquidationPrice'), lang)} "
            f"(mark {num(info.get('markPrice'), lang)})",
        )
        for sym, info in sorted(rows.items())
        if info
    ]
    reply = (
        "; ".join(parts) + "."
        if parts
        else in_language(
            lang,
            "Açık pozisyon görmüyorum; pozisyonlar getiriliyor.",
            "I see no open position; fetching your positions.",
        )
    )
    return _read("position.liquidation", lang, reply)


def _margin_info(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    b = ctx.balance
    if b:
        ratio = b.get("marginRatio")
        reply = in_language(
            lang,
            f"Marjin bakiyesi {num(b.get('marginBalance'), lang)} USDT, kullanılabilir "
            f"{num(b.get('availableBalance'), lang)} USDT, bakım marjini "
            f"{num(b.get('maintMargin'), lang)} USDT, marjin oranı {num(ratio, lang)}.",
            f"Margin balance {num(b.get('marginBalance'), lang)} USD, available "
            f"{num(b.get('availableBalance'), lang)} USD, maintenance margin "
            f"{num(b.get('maintMargin'), lang)} USD, margin ratio {num(ratio, lang)}.",
        )
    else:
        reply = in_language(lang, "Hesap marjini getiriliyor.", "Fetching your account margin.")
    return _read("account.margin", lang, reply)


def _cancel(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    symbol = _symbol_or_context(s, ctx)
    order_id = None
    for _, value, unit in s.numbers:
        if value == int(value) and value >= 1 and not unit.startswith("x"):
            order_id = int(value)
            break
    client_id = s.ids[0][1] if s.ids else None
    plural = any(t.word.startswith(("emirler", "emirleri", "orders")) for t in s.tokens)
    if s.has("all") or (plural and order_id is None and client_id is None):
        if symbol is None:
            return clarify(
                lang,
                "Hangi sembolün tüm emirleri iptal edilsin? Örnek: 'BTC tüm emirleri iptal et'.",
                "Cancel all orders of which symbol? Example: 'cancel all BTC orders'.",
                ["BTC tüm emirleri iptal et", "cancel all ETH orders", "açık emirler"],
            )
        return Answer(
            "order.cancelAll",
            "POST",
            "/futures/order.cancelAll",
            {"symbol": symbol},
            in_language(
                lang,
                f"{symbol} üzerindeki açık emirleriniz iptal edilecek (operatörseniz TÜM "
                "açık emirler). Onay gerekir.",
                f"Your open orders on {symbol} will be cancelled (ALL open orders if you are an "
                "operator). Needs confirmation.",
            ),
            confirm_required=True,
            suggestions=[in_language(lang, "açık emirler", "open orders")],
        )
    if symbol is None or (order_id is None and client_id is None):
        return clarify(
            lang,
            "Hangi emir? Sembol ve emir numarası yazın: 'BTC 123456 nolu emri iptal et'.",
            "Which order? Give the symbol and order id: 'cancel BTC order 123456'.",
            ["açık emirler", "BTC 123456 nolu emri iptal et"],
        )
    not_listed = ctx.orders_known and not any(
        (order_id is not None and str(row.get("orderId")) == str(order_id))
        or (client_id is not None and row.get("clientOrderId") == client_id)
        for row in ctx.open_orders
        if row.get("symbol") == symbol
    )
    body: dict = {"symbol": symbol}
    if order_id is not None:
        body["orderId"] = order_id
        ref = str(order_id)
    else:
        body["clientOrderId"] = client_id
        ref = client_id
    return Answer(
        "order.cancel",
        "POST",
        "/futures/order.cancel",
        body,
        in_language(
            lang,
            f"{symbol} üzerindeki {ref} emri iptal edilecek. Onay gerekir.",
            f"Order {ref} on {symbol} will be cancelled. Needs your confirmation.",
        )
        + (
            # the API's owner check decides; the reply says what the copilot saw first
            in_language(
                lang,
                f" ⚠ {ref}, açık emirleriniz arasında yok: başka birinin ya da kapanmış bir emir "
                "olabilir; API yalnızca kendi emirlerinizi iptal ettirir.",
                f" ⚠ {ref} is not among your open orders: it may be someone else's or finished; "
                "the API cancels only your own orders.",
            )
            if not_listed
            else ""
        ),
        suggestions=[in_language(lang, "açık emirler", "open orders")],
    )


def _leverage(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    symbol = _symbol_or_context(s, ctx)
    lev = None
    for _, value, _unit in s.numbers:
        if value == int(value) and 1 <= value <= 125:
            lev = int(value)
            break
    if lev is None and s.has("help", "list"):
        # "how much leverage am I on?": positions carry their leverage
        return _read(
            "positions.list",
            lang,
            in_language(
                lang,
                "Kaldıraçlar pozisyonlarda görünür; pozisyonlar getiriliyor.",
                "Leverage is shown per position; fetching your positions.",
            ),
        )
    if symbol is None or lev is None:
        return clarify(
            lang,
            "Kaldıraç için sembol ve kat gerekli. Örnek: '10x kaldıraç ETH'.",
            "Leverage needs a symbol and a multiple. Example: 'set ETH leverage to 10x'.",
            ["10x kaldıraç ETH", "set BTC leverage to 5"],
        )
    return Answer(
        "leverage.set",
        "POST",
        "/futures/leverage",
        {"symbol": symbol, "leverage": lev},
        in_language(
            lang,
            f"{symbol} kaldıracı {lev}x yapılacak.",
            f"{symbol} leverage will be set to {lev}x.",
        ),
        suggestions=[in_language(lang, "futures riskim", "my futures risk")],
    )


def _margin(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    symbol = _symbol_or_context(s, ctx)
    kind = None
    if s.has("isolated") and not s.has("cross"):
        kind = "ISOLATED"
    elif s.has("cross") and not s.has("isolated"):
        kind = "CROSSED"
    elif s.has("isolated", "cross"):
        # both named ("çapraz'dan izole'ye"): the last one named is the target
        last_iso = max(s.concepts["isolated"])
        last_cross = max(s.concepts["cross"])
        kind = "ISOLATED" if last_iso > last_cross else "CROSSED"
    if symbol is None or kind is None:
        return clarify(
            lang,
            "Marjin tipi için sembol ve tip gerekli (izole/çapraz). Örnek: "
            "'BTC marjini izole yap'.",
            "Margin type needs a symbol and a type (isolated/cross). Example: "
            "'switch BTC to isolated margin'.",
            ["BTC marjini izole yap", "switch ETH to cross margin"],
        )
    word = in_language(
        lang,
        "izole" if kind == "ISOLATED" else "çapraz",
        "isolated" if kind == "ISOLATED" else "cross",
    )
    return Answer(
        "margin.set",
        "POST",
        "/futures/marginType",
        {"symbol": symbol, "marginType": kind},
        in_language(
            lang,
            f"{symbol} marjin tipi {word} yapılacak.",
            f"{symbol} margin type will be set to {word}.",
        ),
    )


def _canary_run(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    body: dict = {}
    o = order_slots(s, ctx)
    if o.symbol:
        body["symbol"] = o.symbol
    side = o.side or {"LONG": "BUY", "SHORT": "SELL"}.get(o.position_side or "")
    if side:
        body["side"] = side
    if o.quantity is not None and o.quantity > 0:
        body["quantity"] = _decimal_str(o.quantity)
    what = " ".join(str(v) for v in body.values())
    return Answer(
        "canary.run",
        "POST",
        "/canary/run",
        body,
        in_language(
            lang,
            f"Canary koşusu başlatılacak{(' (' + what + ')') if what else ''}; "
            "sonucu onaylamanız istenecek.",
            f"A canary run will start{(' (' + what + ')') if what else ''}; "
            "you will be asked to confirm it.",
        ),
        suggestions=[
            in_language(lang, "canary onay", "confirm canary"),
            in_language(lang, "canary durumu", "canary status"),
        ],
    )


def _canary_confirm(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    run_id: int | None = None
    for _, value, _unit in s.numbers:
        if value == int(value) and value >= 1:
            run_id = int(value)
            break
    if run_id is None and not s.ids and (ctx.last_canary_run_id or "").isdigit():
        run_id = int(ctx.last_canary_run_id)
    if not run_id:
        return clarify(
            lang,
            "Hangi canary koşusu onaylansın? Koşu numarasını yazın: "
            "'canary 42 onayla', ya da önce 'canary' çalıştırın.",
            "Which canary run? Give its id: 'confirm canary 42', or run 'canary' first.",
            ["canary durumu", "canary"],
        )
    return Answer(
        "canary.confirm",
        "POST",
        "/canary/confirm",
        {"runId": run_id},
        in_language(
            lang,
            f"{run_id} numaralı canary koşusu onaylanacak. Onay gerekir.",
            f"Canary run {run_id} will be confirmed. Needs confirmation.",
        ),
        confirm_required=True,
        suggestions=[in_language(lang, "canary durumu", "canary status")],
    )


def _breaker_close(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    reason = in_language(lang, "Copilot üzerinden kapatıldı", "Closed from the copilot")
    said = re.search(r"(?:çünkü|cunku|because|sebep|neden|reason)[:\s]+(.+)$", s_text(s), re.I)
    if said:
        reason = said.group(1).strip()[:200]
    return Answer(
        "risk.breaker.close",
        "POST",
        "/futures/risk/circuit-breaker/close",
        {"reason": reason},
        in_language(
            lang,
            "Devre kesici kapatılacak; işlem yeniden serbest kalır. Onay gerekir.",
            "The circuit breaker will be closed and trading resumes. Needs confirmation.",
        ),
        confirm_required=True,
        suggestions=[in_language(lang, "futures riskim", "my futures risk")],
    )


def _breaker_open(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    reason = in_language(lang, "Copilot üzerinden açıldı", "Opened from the copilot")
    said = re.search(r"(?:çünkü|cunku|because|sebep|neden|reason)[:\s]+(.+)$", s_text(s), re.I)
    if said:
        reason = said.group(1).strip()[:200]
    return Answer(
        "risk.breaker.open",
        "POST",
        "/futures/risk/circuit-breaker/open",
        {"reason": reason},
        in_language(
            lang,
            "Devre kesici açılacak; risk kapısı yeni emirleri reddeder. Onay gerekir.",
            "The circuit breaker will be opened; the risk gate rejects new orders. "
            "Needs confirmation.",
        ),
        confirm_required=True,
        suggestions=[in_language(lang, "futures riskim", "my futures risk")],
    )


def s_text(s: Sentence) -> str:
    return " ".join(t.raw for t in s.tokens)


def _english_thousands(s: Sentence) -> None:
    """In an English sentence '2,950' is two thousand nine hundred fifty, not 2.95."""
    for n, (i, _value, unit) in enumerate(s.numbers):
        raw = s.tokens[i].stem
        if re.fullmatch(r"[1-9]\d{0,2}(,\d{3})+", raw):
            s.numbers[n] = (i, Decimal(raw.replace(",", "")), unit)


def detect_lang(s: Sentence, ctx: PageContext) -> str:
    if s.tr_votes > s.en_votes:
        return "tr"
    if s.en_votes > s.tr_votes:
        return "en"
    return ctx.lang or "tr"


def interpret(prompt: str, context: dict | None = None, *, fallback=None) -> dict:
    """Return the chat answer for a sentence: intent, action, confirm flag, reply, suggestions.

    `fallback(prompt, sentence, ctx, lang) -> Answer` (the language model, copilot/llm.py) is
    asked only when the rules understood nothing; its answer passes the same `finish`.
    """
    ctx = PageContext.of(context)
    s = analyze(prompt or "")
    lang = detect_lang(s, ctx)
    if lang == "en":
        _english_thousands(s)
    answer = _decide(s, ctx, lang)
    if answer.intent == "unknown" and fallback is not None and safety.mood(prompt or "") is None:
        answer = fallback(prompt or "", s, ctx, lang)
    return finish(answer, prompt or "", ctx, lang)


def finish(answer: Answer, prompt: str, ctx: PageContext, lang: str) -> dict:
    """Apply the safety rules to an answer (the parser's or the fallback's) and shape it.

    This is the one exit of every answer: a negation, a question or a hypothetical turns a
    changing action into a question back, and the always-confirm intents and every live order
    are marked for confirmation, whatever produced them.
    """
    found_mood = safety.mood(prompt)
    if safety.blocks(found_mood, answer.method) or (found_mood and answer.intent == "unknown"):
        tr, en = safety.REFUSALS[found_mood]
        answer = Answer(
            "clarify",
            "GET",
            "/health",
            None,
            in_language(lang, tr, en),
            suggestions=[
                in_language(lang, "pozisyonlarım", "my positions"),
                in_language(lang, "açık emirler", "open orders"),
            ],
        )
    reply = answer.reply
    if answer.intent in ORDER_INTENTS:
        warnings = _guardrails(ctx, lang)
        if warnings:
            reply = reply + " ⚠ " + " ".join(warnings)
    suggestions = list(dict.fromkeys(_context_suggestions(ctx, lang) + answer.suggestions))
    return {
        "intent": answer.intent,
        "action": {"method": answer.method, "path": answer.path, "body": answer.body},
        "confirm_required": safety.needs_confirmation(answer.intent, answer.method, answer.body)
        or answer.confirm_required,
        "reply": reply,
        "lang": lang,
        "suggestions": suggestions[:8],
        "choices": answer.choices,
        "defaults": answer.defaults_used,
        "needsEndpoint": answer.needs_endpoint,
        "mood": found_mood if answer.intent == "clarify" else None,
    }


__all__ = ["COMMANDS", "command_table", "interpret", "analyze", "fold", "permission_for"]
