"""Find English UI words in what a Turkish page shows (text and the attributes a person reads).

The English vocabulary is every word of the site's own message ids (locale/tr/.../django.po) that
its Turkish translations never use, plus common English words and the codes pages must translate
(statuses, sides). Allowed: symbols, units, codes and brand names listed in ALLOWED.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "tr" / "LC_MESSAGES" / "django.po"
WORD = re.compile(r"[A-Za-zÇĞİÖŞÜçğıöşü]+(?:['’][a-z]+)?")

COMMON_TEXT = """
the and or of to in on at by for with from is are was were be been not no yes you your this that
these those it its a an as if then than when which who what will would can may must should has
have had do does did all any some more less new open close closed cancel canceled order orders
position positions price quantity status side buy sell long short filled rejected expired
simulated confirmed pending failed running stopped done queued approved market balance account
available wallet margin leverage risk limit limits loss profit daily today day time symbol type
total value share asset assets error errors warning stale partial complete save saved edit
delete submit send sent run runs start stop started stopped settings profile login logout
password username dashboard portfolio strategy strategies backtest backtests proposal proposals
optimization runner runners chart history streams stream connection state uptime reconnects
message messages none unknown up down connecting live dry
"""
COMMON = COMMON_TEXT.split()

# Codes, units, symbols and names that stay as they are on a Turkish page.
ALLOWED_TEXT = """
Spark API USD USDT BTC ETH BNB TRY BTCUSDT ETHUSDT BNBUSDT SOLUSDT XRPUSDT Binance BTCTurk
Telegram Grafana Prometheus Alertmanager PnL uPnL ROE EMA SMA RSI MACD ATR SHA bps ms s h m d
UTC TR EN JSON CSV OpenAPI CSRF TP SL GTC IOC FOK GTX Sharpe Sortino Calmar id ok webhook email
e testnet demo admin limit risk canary
"""
ALLOWED = {w.lower() for w in ALLOWED_TEXT.split()}
# Codes a page may show as they are: dotted or snake_case identifiers (ws.start, fast.period,
# total_return_pct, order.rejected) name an API action, a parameter or a metric.
CODE = re.compile(r"\b[A-Za-z]+(?:[._][A-Za-z0-9]+)+\b")


def _po_words() -> tuple[set[str], set[str]]:
    ids: set[str] = set()
    strs: set[str] = set()
    current = None
    for line in PO.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = ids
        elif line.startswith("msgstr"):
            current = strs
        elif not line.startswith('"'):
            current = None
            continue
        if current is not None:
            text = line.split('"', 1)[1] if '"' in line else ""
            current.update(w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)s", " ", text)))
    return ids, strs


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words that mark a string as English on a Turkish page."""
    ids, strs = _po_words()
    words = (ids - strs) | set(COMMON)
    return frozenset(w for w in words if len(w) >= 2 and w not in ALLOWED)


READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "value", "label")


# Not UI text: scripts and styles, and data a person entered or a machine wrote (a strategy's
# JSON in <pre>/<code>/<textarea>, or anything the page marks translate="no": user names,
# strategy names).
SKIPPED = ("script", "style", "template", "textarea", "pre", "code")
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base"}


class _Visible(HTMLParser):
    """Collect text nodes and person-read attributes outside SKIPPED and translate="no"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: does it start skipped content?
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skipped = tag in SKIPPED or a.get("translate") == "no"
        if tag not in VOID:
            self.stack.append(skipped)
            self.skip += skipped
        if self.skip or skipped:
            return
        if not (tag == "input" and a.get("type") in ("submit", "button", "reset")):
            a.pop("value", None)  # a form's data (a quantity, a code), not text a person reads
        for name in READ_ATTRIBUTES:
            if a.get(name):
                self.parts.append(a[name])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        self.skip -= self.stack.pop()

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def visible_strings(html: str) -> list[str]:
    """The strings a person reads on the page (server-rendered HTML)."""
    parser = _Visible()
    parser.feed(html)
    return parser.parts


def english_in(strings) -> list[tuple[str, list[str]]]:
    """(string, its English words) for every string that has any."""
    vocabulary = english_words()
    found = []
    for text in strings:
        words = [w for w in WORD.findall(CODE.sub(" ", text)) if w.lower() in vocabulary]
        if words:
            found.append((text, words))
    return found


# A figure as a person reads it: digits with separators between them ("1.234,56", "0.008").
FIGURE = re.compile(r"(?<![\w.,:/-])\d[\d.,]*\d(?![\w.,:/-]|[.,]\d)|(?<![\w.,:/-])\d(?![\w.,:/-])")


UNGROUPED = re.compile(r"-?\d{4,},\d+")
TURKISH_FIGURE = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")


def english_figures_in(strings) -> list[tuple[str, str]]:
    """(string, figure) for every figure written the English way on a Turkish page.

    Turkish writes 1.234,56: a decimal comma, and dots only between groups of three digits after
    a first group that does not start with 0. Any other figure with a dot ("0.008", "3000.12",
    "1,234.5") is English. Several dots and no comma ("127.0.0.1", a date 06.12.2026, a version
    1.2.3) are not a figure. A decimal of 1000 or more without its thousands dots ("1234,5") is
    not the Turkish format either.
    """
    found = []
    for text in strings:
        for figure in FIGURE.findall(text):
            if UNGROUPED.fullmatch(figure):  # 1234,5: a decimal comma, but no thousands dots
                found.append((text, figure))
            if "." not in figure or (figure.count(".") > 1 and "," not in figure):
                continue
            if not TURKISH_FIGURE.fullmatch(figure):
                found.append((text, figure))
    return found
