"""The copilot's words: each concept with its Turkish and English forms, and the symbols it knows.

Forms are folded (lower-case, no diacritics: see `copilot.text.fold`). A form ending in `*` is a
stem and matches any word starting with it (Turkish suffixes: `pozisyon*` reads `pozisyonlarım`).
Forms of five letters or more also match words within a small edit distance (typos). Short words
match exactly only, or `al` would read `all` and `sell` would read `self`.
"""

from __future__ import annotations

from django.conf import settings

# concept -> {"tr": [...], "en": [...], "": [...neutral...]}
CONCEPTS: dict[str, dict[str, list[str]]] = {
    "buy": {
        "tr": [
            "al",
            "alis",
            "alim",
            "alayim",
            "alalim",
            "alin",
            "alsana",
            "alir",
            "aliver",
            "alicam",
            "alcam",
            "aldir",
            "aldirin",
            "alacagim",
            "almak",
            "aliyorum",
            "topla",
            "alsin",
            "alinsin",
            "alabilir",
        ],
        "en": ["buy", "buying", "bid", "purchase"],
        "": ["long*"],
    },
    "sell": {
        "tr": [
            "sat",
            "satis",
            "satim",
            "satayim",
            "satalim",
            "satsana",
            "satar",
            "sativer",
            "saticam",
            "satcam",
            "satacagim",
            "satmak",
            "satiyorum",
            "sats",
            "satsin",
            "satilsin",
            "satabilir",
        ],
        "en": ["sell", "selling", "dump"],
        "": ["short*"],
    },
    "order": {
        "tr": ["emir*", "emri*", "emr*", "islem*"],
        "en": ["order", "orders", "trade", "trades"],
    },
    "open_adj": {
        "tr": ["acik", "aciktaki", "bekleyen*", "aktif", "duran"],
        "en": ["open", "pending", "active", "working", "outstanding"],
    },
    "open_verb": {
        "tr": ["ac", "acin", "acalim", "acsana", "acar", "acarmisin", "acabilir*", "gir", "gire*"],
        "en": ["enter", "go"],
    },
    "list": {
        "tr": ["goster*", "listele*", "neler", "nedir", "ne", "hangi*", "getir*", "bak", "gor*"],
        "en": ["show", "list", "what", "whats", "see", "view", "display", "get", "check", "my"],
    },
    "cancel": {
        "tr": ["iptal*", "vazgec*", "sil", "silin", "sill", "kaldir", "kaldirin", "geri"],
        "en": ["cancel*", "revoke", "kill", "remove", "pull", "delete"],
    },
    "all": {
        "tr": ["tum*", "hepsi*", "butun*", "her"],
        "en": ["all", "every", "everything", "each"],
    },
    "position": {
        "tr": ["pozisyon*", "poz", "pozlar*", "pozum*"],
        "en": ["position*", "positons", "pos"],
    },
    "close": {
        "tr": ["kapat*", "kapa", "kapan*", "cik", "cikis*", "cikalim", "cikar"],
        "en": ["close*", "closing", "flatten", "exit"],
    },
    "leverage": {
        "tr": ["kaldirac*", "kaldirc*"],
        "en": ["leverage*", "lev"],
    },
    "margin": {
        "tr": ["marjin*", "teminat*"],
        "en": ["margin*"],
    },
    "isolated": {
        "tr": ["izole*", "izolasyon"],
        "en": ["isolated", "isolate", "iso"],
    },
    "cross": {
        "tr": ["capraz*"],
        "en": ["cross", "crossed"],
    },
    "stream": {
        "tr": ["akis*", "yayin*", "soket*"],
        "en": ["websocket*", "stream*", "socket*", "feed", "feeds"],
        "": ["ws", "wss", "web", "user-data"],
    },
    "start": {
        "tr": ["basla*", "baslt*", "bagla*", "calistir*", "yak", "yeniden", "kos", "kostur*"],
        "en": ["start*", "begin", "connect", "launch", "run", "kick", "restart", "reconnect"],
    },
    "stop": {
        "tr": ["durdur*", "kes", "kesin", "kesil*", "bitir*", "sondur*"],
        "en": ["stop", "halt", "disconnect", "shutdown", "kill", "off", "down"],
    },
    "status": {
        "tr": ["durum*", "calisiyor*", "bagli*"],
        "en": ["status", "state", "alive", "running", "connected"],
    },
    "canary": {
        "tr": ["kanarya*", "kanari*"],
        "en": [],
        "": ["canary*", "canry", "canar"],
    },
    "confirm": {
        "tr": ["onay*", "teyit*", "kabul"],
        "en": ["confirm*", "approve*", "accept", "ack"],
    },
    "portfolio": {
        "tr": ["portfoy*", "portfolyo*", "varlik*", "cuzdan*"],
        "en": ["portfolio*", "holdings", "assets", "wallet*"],
    },
    "summary": {
        "tr": ["ozet*", "genel", "toplam*"],
        "en": ["summary", "overview", "summarize", "total"],
    },
    "risk": {
        "tr": ["risk*", "limitlerim*", "kar", "zarar*", "kazanc*"],
        "en": ["risk*", "exposure", "limits", "pnl", "profit", "loss", "losses"],
    },
    "breaker": {
        "tr": ["devre", "kesici*", "sigorta*", "breaker*"],
        "en": ["breaker*", "circuit", "kill-switch", "killswitch"],
    },
    "place": {
        "tr": ["ver", "verin", "verir", "gonder*", "yolla*", "koy", "koyalim", "gec", "girelim"],
        "en": ["place", "send", "submit", "put", "make", "create", "new"],
    },
    "trip": {
        "en": ["trip", "engage", "activate", "halt"],
        "tr": ["devreye", "etkinlestir*", "tetikle*"],
    },
    "reset": {
        "tr": ["sifirla*", "resetle*", "devam", "kaldir"],
        "en": ["reset", "resume", "clear", "release", "rearm", "re-enable", "reopen"],
    },
    "balance": {
        "tr": ["bakiye*", "hesab*", "hesap*", "param", "paramin"],
        "en": ["balance*", "account*", "equity", "funds", "money"],
    },
    "metrics": {
        "tr": ["metrik*", "olcum*"],
        "en": ["metric*", "prometheus", "stats"],
    },
    "health": {
        "tr": ["saglik*", "ping", "yolunda"],
        "en": ["health*", "healthcheck", "ping", "alive", "ok", "okay", "fine"],
    },
    "help": {
        "tr": ["yardim*", "komutlar*", "yapabilirsin"],
        "en": ["help", "commands", "how"],
    },
    # PnL words that would otherwise be typo-read as others ("kazandım" is not "kapan")
    "pnl_word": {
        "tr": ["kazand*", "kaybett*", "kaybet*"],
        "en": ["earned", "upnl"],
    },
    "dryrun": {
        "tr": ["deneme*", "dene", "denesene", "sahte", "kuru", "simulasyon*", "prova"],
        "en": ["test", "paper", "simulated", "simulate", "fake", "practice"],
        "": ["dry*", "dryrun"],
    },
    "real": {
        "tr": ["gercek*", "canli"],
        "en": ["real", "live", "for-real"],
    },
    "negation": {
        "tr": [
            "degil",
            "olmasin",
            "olmadan",
            "yok",
            "etme",
            "yapma",
            "gonderme",
            "verme",
            "atma",
            "yollama",
            "koyma",
            "girme",
            "acma",
        ],
        "en": ["not", "no", "dont", "without", "never"],
    },
    "market": {
        "tr": ["piyasa*"],
        "en": ["market", "mkt", "markets"],
    },
    "limit": {
        "tr": ["limitli", "limitten"],
        "en": [],
        "": ["limit", "lmt"],
    },
    "stop_type": {
        "tr": ["stoplu", "stoplos", "zarar-durdur", "tetik*"],
        "en": ["stop-market", "stoploss", "trigger*"],
        "": ["stop"],
    },
    "price_word": {
        "tr": ["fiyat*", "seviye*", "dolar*", "dolardan", "usd", "usdt", "tl"],
        "en": ["price", "at", "usd", "usdt", "dollars", "bucks"],
    },
    "quantity_word": {
        "tr": ["adet", "tane", "lot", "kontrat*", "miktar*"],
        "en": ["qty", "quantity", "amount", "size", "contracts", "contract", "coins", "units"],
    },
    "reduce": {
        "tr": ["azalt*", "sadece-azalt"],
        "en": ["reduce*", "reduceonly", "reduce-only"],
    },
    # words that only tell the language apart ("ETH cross yap" is Turkish)
    "filler": {
        "tr": [
            "yap*",
            "et",
            "eder",
            "edin",
            "olsun",
            "lutfen",
            "bana",
            "simdi",
            "bir",
            "bi",
            "icin",
            "ile",
            "ve",
            "mi",
            "mu",
            "var",
            "bakalim",
            "hemen",
            "acaba",
            "su",
            "bu",
            "de",
            "da",
        ],
        "en": [
            "please",
            "pls",
            "now",
            "the",
            "a",
            "an",
            "for",
            "me",
            "to",
            "on",
            "of",
            "and",
            "is",
            "are",
            "do",
            "i",
            "can",
            "you",
            "with",
            "some",
            "just",
            "right",
        ],
    },
    "tif_ioc": {"": ["ioc"]},
    "tif_fok": {"": ["fok"]},
    "tif_gtx": {"en": ["post", "postonly", "maker", "gtx"]},
}

# Built-in USD-M majors the copilot recognizes besides SPARK_STREAM_SYMBOLS. Tickers that are
# also everyday words (NEAR, OP, ONE, UNI, GAS, ETC) are left out: "near 60000" is not NEARUSDT.
MAJORS = [
    "BTC",
    "ETH",
    "BNB",
    "SOL",
    "XRP",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "DOT",
    "LTC",
    "TRX",
    "MATIC",
    "BCH",
    "ATOM",
    "XLM",
    "FIL",
    "APT",
    "ARB",
    "SUI",
    "PEPE",
    "SHIB",
    "TON",
    "WIF",
    "INJ",
    "AAVE",
    "SEI",
    "TIA",
    "FTM",
    "RUNE",
    "ICP",
    "HBAR",
]

NICKNAMES = {
    "bitcoin": "BTC",
    "bitcoini": "BTC",
    "bitcoinden": "BTC",
    "btc": "BTC",
    "xbt": "BTC",
    "ethereum": "ETH",
    "ether": "ETH",
    "eth": "ETH",
    "solana": "SOL",
    "ripple": "XRP",
    "dogecoin": "DOGE",
    "doge": "DOGE",
    "cardano": "ADA",
    "binance": "BNB",
    "litecoin": "LTC",
    "polkadot": "DOT",
    "chainlink": "LINK",
    "avalanche": "AVAX",
}

# Turkish case suffixes written without an apostrophe after a ticker: btcden, ethyi, solu.
SYMBOL_SUFFIXES = [
    "yi",
    "yu",
    "yı",
    "i",
    "u",
    "a",
    "e",
    "ya",
    "ye",
    "da",
    "de",
    "ta",
    "te",
    "dan",
    "den",
    "tan",
    "ten",
    "in",
    "un",
    "nin",
    "nun",
    "le",
    "la",
    "ile",
    "yle",
    "yla",
    "lik",
    "luk",
    "lık",
    "ler",
    "lar",
    "deki",
    "daki",
]


def quote_assets() -> tuple[str, ...]:
    return ("USDT", "USDC", "BUSD")


def known_bases() -> set[str]:
    """Base assets the copilot reads as symbols: the built-in majors plus the streamed symbols."""
    bases = set(MAJORS)
    for symbol in getattr(settings, "SPARK_STREAM_SYMBOLS", []) or []:
        symbol = str(symbol).upper()
        for quote in quote_assets():
            if symbol.endswith(quote) and len(symbol) > len(quote):
                bases.add(symbol[: -len(quote)])
    return bases


def known_symbols() -> list[str]:
    """Every USD-M symbol the copilot resolves (sorted): majors + SPARK_STREAM_SYMBOLS."""
    symbols = {f"{base}USDT" for base in known_bases()}
    symbols.update(str(s).upper() for s in getattr(settings, "SPARK_STREAM_SYMBOLS", []) or [])
    return sorted(symbols)


# Bases that may carry a Turkish suffix without an apostrophe (btcden, ethyi); others need one,
# or "file" would read FIL and "tone" TON.
POPULAR_BASES = {"BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "AVAX", "LINK", "MATIC"}
