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

from copilot import lexicon
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
        "Emir hazırlar (gerçek/canlı denmedikçe dry-run).",
        "Prepare an order (dry-run unless you say real/live).",
        (
            "dry-run emir",
            "0,01 BTC al",
            "ETH'den 0.5 limit sat 3500",
            "buy 0.002 btc at market",
            "gerçek emir 0.001 BTC al",
            "BTC 0.01 stop sat 58000",
        ),
        "{symbol, side, type, quantity, price?, stopPrice?, timeInForce?, reduceOnly?, dryRun}",
    ),
    Command(
        "position.close",
        "POST",
        "/futures/order.place",
        "futures.place_order",
        "live",
        "Pozisyonu reduce-only piyasa emriyle kapatır.",
        "Close a position with a reduce-only market order.",
        ("BTC long pozisyonumu 0.01 kapat", "close my 0.5 ETH short"),
        "{symbol, side, type: MARKET, quantity, reduceOnly: true, dryRun}",
    ),
    Command(
        "order.cancel",
        "POST",
        "/futures/order.cancel",
        "futures.cancel_order",
        "never",
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
        "Bir sembolün tüm emirlerini iptal eder.",
        "Cancel every order of a symbol.",
        ("BTC'deki tüm emirleri iptal et", "cancel all ETH orders"),
        "{symbol}",
    ),
    Command(
        "leverage.set",
        "POST",
        "/futures/leverage",
        "futures.change_leverage",
        "never",
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
        "never",
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
        "Açık pozisyonlar.",
        "Open positions.",
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
ORDER_INTENTS = {"order.place", "position.close"}


def command_table() -> list[dict]:
    """The command reference, as rows (docs are generated from this, so they cannot drift)."""
    return [
        {
            "intent": c.intent,
            "method": c.method,
            "path": c.path,
            "body": c.body,
            "permission": c.permission,
            "confirm": c.confirm,
            "summary_tr": c.summary_tr,
            "summary_en": c.summary_en,
            "examples": list(c.examples),
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


def analyze(prompt: str) -> Sentence:
    """Read a sentence: which concepts, symbols and numbers it holds, and in which language."""
    text = prompt.replace("@", " at ").replace("$", " usd ")
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


@dataclass
class PageContext:
    """What the page tells the copilot about live state; every key is optional.

    Keys read: `symbol` (the page's selected symbol, default for commands without one),
    `lastCanaryRunId`, `breakerOpen` (or `risk.breaker.open`), `streamsStale` (or
    `streams.stale`), `rejectRate` (0..1; high above `rejectRateHigh`, default 0.2),
    `positions` ([{symbol, positionAmt}]), `lang` ("tr"/"en", used when the sentence is neutral).
    """

    symbol: str | None = None
    last_canary_run_id: str | None = None
    breaker_open: bool = False
    streams_stale: bool = False
    reject_rate: float | None = None
    reject_rate_high: float = 0.2
    positions: dict[str, Decimal] = field(default_factory=dict)
    lang: str | None = None

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
                ctx.positions[row["symbol"].upper()] = amount
        if raw.get("lang") in ("tr", "en"):
            ctx.lang = raw["lang"]
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
    time_in_force: str | None = None
    reduce_only: bool = False
    live: bool = False
    leverage: int | None = None
    order_id: int | None = None
    client_order_id: str | None = None


_PRICE_UNITS = {
    "den",
    "dan",
    "ten",
    "tan",
    "usd",
    "usdt",
    "dolar",
    "dolardan",
    "e",
    "a",
    "ye",
    "ya",
}
_QTY_UNITS = {"adet", "tane", "lot"}


def _side_words(s: Sentence) -> tuple[str | None, str | None]:
    """(order side from al/sat/buy/sell, position side from long/short)."""
    order_side = position_side = None
    for i, tok in enumerate(s.tokens):
        word = tok.word
        if s.at(i, "buy"):
            if word.startswith("long"):
                position_side = position_side or "LONG"
            else:
                order_side = order_side or "BUY"
        elif s.at(i, "sell"):
            if word.startswith("short"):
                position_side = position_side or "SHORT"
            else:
                order_side = order_side or "SELL"
    return order_side, position_side


def order_slots(s: Sentence, ctx: PageContext) -> OrderSlots:
    """Fill symbol, side, type, quantity, prices, flags from the sentence."""
    o = OrderSlots()
    o.symbol = s.first_symbol()
    o.side, o.position_side = _side_words(s)
    symbol_at = {i for i, _ in s.symbols}
    quantity = price = stop_price = None
    rest: list[tuple[int, Decimal]] = []
    for i, value, unit in s.numbers:
        prev = i - 1
        nxt = i + 1
        if (
            unit == "x"
            or s.at(nxt, "leverage")
            or (nxt < len(s.tokens) and s.tokens[nxt].word in ("x", "kat"))
        ):
            o.leverage = int(value) if value == int(value) else None
            continue
        if unit in ("lik", "luk"):
            continue  # "100 dolarlık": a notional, not read (needs a price)
        if prev >= 0 and s.at(prev, "stop_type"):
            stop_price = value
            continue
        # "0.01 btc" is a quantity even right after "fiyattan" ("canlı fiyattan 0.01 btc al")
        if (
            unit in _QTY_UNITS
            or (nxt in symbol_at and unit not in _PRICE_UNITS)
            or s.at(nxt, "quantity_word")
            or (prev >= 0 and s.at(prev, "quantity_word"))
        ) and quantity is None:
            quantity = value
            continue
        if (
            unit in _PRICE_UNITS
            or (prev >= 0 and s.at(prev, "price_word"))
            or s.at(nxt, "price_word")
        ):
            if price is None:
                price = value
            elif stop_price is None:
                stop_price = value
            continue
        if prev >= 0 and s.at(prev, "limit") and price is None:
            price = value
            continue
        rest.append((i, value))
    for _, value in rest:
        if quantity is None and (price is None or value < price):
            quantity = value
        elif price is None:
            price = value
        elif stop_price is None:
            stop_price = value
        elif quantity is None:
            quantity = value
    # a lone large number beside a small one: the large one is the price (0.01 ... 60000)
    if quantity is not None and price is None and s.has("limit") and rest:
        pass
    o.quantity, o.price, o.stop_price = quantity, price, stop_price
    if s.has("stop_type") and o.stop_price is None and o.price is not None and not s.has("limit"):
        o.stop_price, o.price = o.price, None
    if o.stop_price is not None:
        o.order_type = "STOP" if o.price is not None else "STOP_MARKET"
    elif s.has("limit") or (o.price is not None and not s.has("market")):
        o.order_type = "LIMIT" if o.price is not None else None
    else:
        o.order_type = "MARKET"
    if o.order_type in ("LIMIT", "STOP"):
        o.time_in_force = "GTC"
        if s.has("tif_ioc"):
            o.time_in_force = "IOC"
        elif s.has("tif_fok"):
            o.time_in_force = "FOK"
        elif s.has("tif_gtx"):
            o.time_in_force = "GTX"
    o.reduce_only = s.has("reduce")
    o.live = _asks_for_live(s)
    for _, ident in s.ids:
        o.client_order_id = o.client_order_id or ident
    return o


_NOT_A_MODE = {"quick", "quickly", "fast", "data", "feed", "price", "prices", "chart", "hizli"}


def _asks_for_live(s: Sentence) -> bool:
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


def _t(lang: str, tr: str, en: str) -> str:
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


def _guardrails(ctx: PageContext, lang: str) -> list[str]:
    warnings = []
    if ctx.breaker_open:
        warnings.append(
            _t(
                lang,
                "Devre kesici AÇIK: risk kapısı yeni emirleri reddedecek.",
                "The circuit breaker is OPEN: the risk gate will reject new orders.",
            )
        )
    if ctx.streams_stale:
        warnings.append(
            _t(
                lang,
                "Veri akışları bayat: fiyat ve pozisyonlar güncel olmayabilir.",
                "Streams are stale: prices and positions may be out of date.",
            )
        )
    if ctx.reject_rate_is_high:
        pct = f"{ctx.reject_rate * 100:.0f}%"
        warnings.append(
            _t(
                lang,
                f"Emir red oranı yüksek ({pct}): önce nedenini inceleyin.",
                f"The order reject rate is high ({pct}): check why first.",
            )
        )
    return warnings


def _context_suggestions(ctx: PageContext, lang: str) -> list[str]:
    out = []
    if ctx.breaker_open:
        out.append(_t(lang, "devre kesiciyi kapat", "close the circuit breaker"))
    if ctx.streams_stale:
        out.append(_t(lang, "WS başlat", "start streams"))
    if ctx.reject_rate_is_high:
        out.append(_t(lang, "futures riskim", "my futures risk"))
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
            _t(
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
                _t(lang, "Canary durumu getiriliyor.", "Fetching the canary status."),
            )
        return _canary_run(s, ctx, lang)
    if has("stream") and not has("order", "position"):
        if has("stop", "close"):
            return _plain(
                "ws.stop",
                {},
                lang,
                _t(lang, "Veri akışları durdurulacak.", "The streams will be stopped."),
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
                _t(
                    lang,
                    f"Veri akışları başlatılacak: {', '.join(symbols)}.",
                    f"The streams will start for {', '.join(symbols)}.",
                ),
            )
        return _read(
            "ws.status", lang, _t(lang, "Akış durumu getiriliyor.", "Fetching the stream status.")
        )
    leverage_number = any(unit == "x" for _, _, unit in s.numbers)
    if has("leverage") or (leverage_number and s.symbols and not has("buy", "sell", "order")):
        return _leverage(s, ctx, lang)  # "btc 3x yap" is a leverage change
    if has("isolated", "cross") or (has("margin") and not side_present):
        return _margin(s, ctx, lang)
    if has("cancel") and not has("stream"):
        return _cancel(s, ctx, lang)
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
        return _read(
            "positions.list", lang, _t(lang, "Pozisyonlar getiriliyor.", "Fetching your positions.")
        )
    if order_side or (position_side and (wants_place or s.symbols)):
        return _order_place(s, ctx, lang)
    if has("order") and (has("dryrun", "real", "place", "market", "limit") or s.numbers):
        return _order_place(s, ctx, lang)
    if has("order") or (has("open_adj") and has("list")):
        return _read(
            "orders.open", lang, _t(lang, "Açık emirler getiriliyor.", "Fetching your open orders.")
        )
    if has("metrics"):
        return _read(
            "metrics",
            lang,
            _t(lang, "Prometheus metrikleri getiriliyor.", "Fetching the Prometheus metrics."),
        )
    if has("portfolio"):
        return _read(
            "portfolio.summary",
            lang,
            _t(lang, "Portföy özeti getiriliyor.", "Fetching your portfolio summary."),
        )
    if has("risk"):
        return _read(
            "risk.status", lang, _t(lang, "Risk durumu getiriliyor.", "Fetching your risk status.")
        )
    if has("balance"):
        return _read(
            "account.balance",
            lang,
            _t(
                lang,
                "Futures hesap bakiyesi getiriliyor.",
                "Fetching your futures account balance.",
            ),
        )
    if has("position"):
        return _read(
            "positions.list", lang, _t(lang, "Pozisyonlar getiriliyor.", "Fetching your positions.")
        )
    if has("health") or (has("status") and not s.symbols):
        return _read(
            "health",
            lang,
            _t(lang, "Sistem sağlığı kontrol ediliyor.", "Checking the system health."),
        )
    if has("help"):
        return _help(lang)
    return _unknown(lang)


MAX_TOKENS = 60
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


def _clarify(lang: str, question_tr: str, question_en: str, examples: list[str]) -> Answer:
    return Answer(
        "clarify", "GET", "/health", None, _t(lang, question_tr, question_en), suggestions=examples
    )


def _help(lang: str) -> Answer:
    lines = ", ".join(SEED_SUGGESTIONS[lang])
    return Answer(
        "help",
        "GET",
        "/health",
        None,
        _t(
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
        _t(
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


def _order_place(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    o = order_slots(s, ctx)
    defaults = []
    symbol = o.symbol or ctx.symbol
    if symbol is None:
        symbol = DEFAULT_ORDER_SYMBOL
        defaults.append("symbol")
    side = o.side or {"LONG": "BUY", "SHORT": "SELL"}.get(o.position_side or "")
    if side is None:
        side = "BUY"
        defaults.append("side")
    quantity = o.quantity
    if quantity is None or quantity <= 0:
        if symbol not in DEFAULT_QUANTITIES:
            return _clarify(
                lang,
                f"{symbol} için miktar yazın. Örnek: '{symbol[:-4]} 10 adet al'.",
                f"Give a quantity for {symbol}. Example: 'buy 10 {symbol[:-4]}'.",
                [f"{symbol[:-4]} 10 adet al", f"buy 10 {symbol[:-4].lower()}"],
            )
        quantity = Decimal(DEFAULT_QUANTITIES[symbol])
        defaults.append("quantity")
    if s.has("limit") and o.price is None:
        return _clarify(
            lang,
            "Limit emir için fiyat gerekli. Örnek: '0,01 BTC limit al 60000'.",
            "A limit order needs a price. Example: 'buy 0.01 BTC limit at 60000'.",
            ["0,01 BTC limit al 60000", "buy 0.01 BTC limit at 60000"],
        )
    body: dict = {
        "symbol": symbol,
        "side": side,
        "type": o.order_type or "MARKET",
        "quantity": _decimal_str(quantity),
    }
    if o.price is not None:
        body["price"] = _decimal_str(o.price)
    if o.stop_price is not None:
        body["stopPrice"] = _decimal_str(o.stop_price)
    if o.time_in_force:
        body["timeInForce"] = o.time_in_force
    if o.reduce_only:
        body["reduceOnly"] = True
    body["dryRun"] = not o.live
    mode = _t(lang, "GERÇEK" if o.live else "dry-run", "LIVE" if o.live else "dry-run")
    extra = ""
    if body.get("price"):
        extra += _t(lang, f", fiyat {body['price']}", f", price {body['price']}")
    if body.get("stopPrice"):
        extra += _t(lang, f", tetik {body['stopPrice']}", f", trigger {body['stopPrice']}")
    if o.reduce_only:
        extra += ", reduce-only"
    reply = _t(
        lang,
        f"{symbol} için {body['quantity']} adet {_type_word(body['type'], 'tr')} "
        f"{_side_word(side, 'tr')} emri ({mode}{extra}) hazırlandı.",
        f"Prepared a {_type_word(body['type'], 'en')} {_side_word(side, 'en')} order for "
        f"{body['quantity']} {symbol} ({mode}{extra}).",
    )
    if defaults:
        names = ", ".join(defaults)
        reply += _t(lang, f" Varsayılan kullanıldı: {names}.", f" Defaults used: {names}.")
    if o.live:
        reply += _t(
            lang,
            " Gerçek emir: çalıştırmadan önce onay gerekir.",
            " Real order: it needs your confirmation before it runs.",
        )
    answer = Answer(
        "order.place", "POST", "/futures/order.place", body, reply, confirm_required=o.live
    )
    answer.suggestions = [
        _t(lang, "açık emirler", "open orders"),
        _t(lang, "pozisyonlarım", "my positions"),
    ]
    return answer


def _position_close(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    o = order_slots(s, ctx)
    symbol = s.first_symbol()
    if symbol is None and len(ctx.positions) == 1:
        symbol = next(iter(ctx.positions))  # the one open position
    symbol = symbol or ctx.symbol
    if symbol is None:
        return _clarify(
            lang,
            "Hangi sembolün pozisyonu kapatılsın? Örnek: 'BTC long 0,01 kapat'.",
            "Which symbol's position? Example: 'close my 0.01 BTC long'.",
            ["BTC long 0,01 kapat", "close my 0.01 BTC long", "pozisyonlarım"],
        )
    held = ctx.positions.get(symbol)
    side = o.side or {"LONG": "SELL", "SHORT": "BUY"}.get(o.position_side or "")
    if side is None and held is not None:
        side = "SELL" if held > 0 else "BUY"
    quantity = o.quantity if o.quantity is not None else (abs(held) if held is not None else None)
    if side is None or quantity is None:
        return _clarify(
            lang,
            f"{symbol} pozisyonunun yönü ve miktarı gerekli. "
            f"Örnek: '{symbol[:-4]} long 0,01 kapat'.",
            f"I need the side and size of the {symbol} position. Example: "
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
    mode = _t(lang, "GERÇEK" if o.live else "dry-run", "LIVE" if o.live else "dry-run")
    reply = _t(
        lang,
        f"{symbol} pozisyonu {body['quantity']} adet reduce-only piyasa "
        f"{_side_word(side, 'tr')} emriyle kapatılacak ({mode}).",
        f"The {symbol} position will be closed with a reduce-only market "
        f"{_side_word(side, 'en')} of {body['quantity']} ({mode}).",
    )
    if o.live:
        reply += _t(lang, " Gerçek emir: onay gerekir.", " Real order: needs your confirmation.")
    return Answer(
        "position.close",
        "POST",
        "/futures/order.place",
        body,
        reply,
        confirm_required=o.live,
        suggestions=[_t(lang, "pozisyonlarım", "my positions")],
    )


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
            return _clarify(
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
            _t(
                lang,
                f"{symbol} üzerindeki TÜM açık emirler iptal edilecek. Onay gerekir.",
                f"ALL open orders on {symbol} will be cancelled. Needs confirmation.",
            ),
            confirm_required=True,
            suggestions=[_t(lang, "açık emirler", "open orders")],
        )
    if symbol is None or (order_id is None and client_id is None):
        return _clarify(
            lang,
            "Hangi emir? Sembol ve emir numarası yazın: 'BTC 123456 nolu emri iptal et'.",
            "Which order? Give the symbol and order id: 'cancel BTC order 123456'.",
            ["açık emirler", "BTC 123456 nolu emri iptal et"],
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
        _t(
            lang,
            f"{symbol} üzerindeki {ref} emri iptal edilecek.",
            f"Order {ref} on {symbol} will be cancelled.",
        ),
        suggestions=[_t(lang, "açık emirler", "open orders")],
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
            _t(
                lang,
                "Kaldıraçlar pozisyonlarda görünür; pozisyonlar getiriliyor.",
                "Leverage is shown per position; fetching your positions.",
            ),
        )
    if symbol is None or lev is None:
        return _clarify(
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
        _t(
            lang,
            f"{symbol} kaldıracı {lev}x yapılacak.",
            f"{symbol} leverage will be set to {lev}x.",
        ),
        suggestions=[_t(lang, "futures riskim", "my futures risk")],
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
        return _clarify(
            lang,
            "Marjin tipi için sembol ve tip gerekli (izole/çapraz). Örnek: "
            "'BTC marjini izole yap'.",
            "Margin type needs a symbol and a type (isolated/cross). Example: "
            "'switch BTC to isolated margin'.",
            ["BTC marjini izole yap", "switch ETH to cross margin"],
        )
    word = _t(
        lang,
        "izole" if kind == "ISOLATED" else "çapraz",
        "isolated" if kind == "ISOLATED" else "cross",
    )
    return Answer(
        "margin.set",
        "POST",
        "/futures/marginType",
        {"symbol": symbol, "marginType": kind},
        _t(
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
        _t(
            lang,
            f"Canary koşusu başlatılacak{(' (' + what + ')') if what else ''}; "
            "sonucu onaylamanız istenecek.",
            f"A canary run will start{(' (' + what + ')') if what else ''}; "
            "you will be asked to confirm it.",
        ),
        suggestions=[
            _t(lang, "canary onay", "confirm canary"),
            _t(lang, "canary durumu", "canary status"),
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
        return _clarify(
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
        _t(
            lang,
            f"{run_id} numaralı canary koşusu onaylanacak. Onay gerekir.",
            f"Canary run {run_id} will be confirmed. Needs confirmation.",
        ),
        confirm_required=True,
        suggestions=[_t(lang, "canary durumu", "canary status")],
    )


def _breaker_close(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    reason = _t(lang, "Copilot üzerinden kapatıldı", "Closed from the copilot")
    said = re.search(r"(?:çünkü|cunku|because|sebep|neden|reason)[:\s]+(.+)$", s_text(s), re.I)
    if said:
        reason = said.group(1).strip()[:200]
    return Answer(
        "risk.breaker.close",
        "POST",
        "/futures/risk/circuit-breaker/close",
        {"reason": reason},
        _t(
            lang,
            "Devre kesici kapatılacak; işlem yeniden serbest kalır. Onay gerekir.",
            "The circuit breaker will be closed and trading resumes. Needs confirmation.",
        ),
        confirm_required=True,
        suggestions=[_t(lang, "futures riskim", "my futures risk")],
    )


def _breaker_open(s: Sentence, ctx: PageContext, lang: str) -> Answer:
    reason = _t(lang, "Copilot üzerinden açıldı", "Opened from the copilot")
    said = re.search(r"(?:çünkü|cunku|because|sebep|neden|reason)[:\s]+(.+)$", s_text(s), re.I)
    if said:
        reason = said.group(1).strip()[:200]
    return Answer(
        "risk.breaker.open",
        "POST",
        "/futures/risk/circuit-breaker/open",
        {"reason": reason},
        _t(
            lang,
            "Devre kesici açılacak; risk kapısı yeni emirleri reddeder. Onay gerekir.",
            "The circuit breaker will be opened; the risk gate rejects new orders. "
            "Needs confirmation.",
        ),
        confirm_required=True,
        suggestions=[_t(lang, "futures riskim", "my futures risk")],
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


def interpret(prompt: str, context: dict | None = None) -> dict:
    """Return the chat answer for a sentence: intent, action, confirm flag, reply, suggestions."""
    ctx = PageContext.of(context)
    s = analyze(prompt or "")
    lang = detect_lang(s, ctx)
    if lang == "en":
        _english_thousands(s)
    answer = _decide(s, ctx, lang)
    reply = answer.reply
    if answer.intent in ORDER_INTENTS:
        warnings = _guardrails(ctx, lang)
        if warnings:
            reply = reply + " ⚠ " + " ".join(warnings)
    suggestions = list(dict.fromkeys(_context_suggestions(ctx, lang) + answer.suggestions))
    return {
        "intent": answer.intent,
        "action": {"method": answer.method, "path": answer.path, "body": answer.body},
        "confirm_required": answer.confirm_required,
        "reply": reply,
        "lang": lang,
        "suggestions": suggestions[:8],
    }


__all__ = ["COMMANDS", "command_table", "interpret", "analyze", "fold", "permission_for"]
