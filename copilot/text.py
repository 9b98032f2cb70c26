"""Turkish-aware text folding, tokenizing, numbers and fuzzy word matching (no dependencies)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Turkish letters folded to ASCII, so `portfoy ozeti` and `portföy özeti` are the same words.
_ASCII_FOLD = str.maketrans(
    {
        "ç": "c",
        "ğ": "g",
        "ı": "i",
        "ö": "o",
        "ş": "s",
        "ü": "u",
        "â": "a",
        "î": "i",
        "û": "u",
    }
)
_APOSTROPHES = "'’‘`´ʼ"
_TURKISH_LETTERS = set("çğıöşüÇĞİÖŞÜ")


def turkish_lower(text: str) -> str:
    """Lower-case with Turkish rules: I → ı, İ → i (Python's lower() makes İ into i + a dot)."""
    return text.replace("I", "ı").replace("İ", "i").lower()


def fold(text: str) -> str:
    """Lower-case the Turkish way, then drop diacritics: 'İPTAL' → 'iptal', 'ÖZET' → 'ozet'.

    Dotless ı folds to i, so 'LIMIT' typed on a Turkish keyboard ('lımıt') still reads 'limit'.
    """
    text = turkish_lower(text).translate(_ASCII_FOLD)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def has_turkish_letters(text: str) -> bool:
    return any(ch in _TURKISH_LETTERS for ch in text)


@dataclass(frozen=True)
class Token:
    """One word of the sentence: `word` is folded, `stem` drops a suffix after an apostrophe."""

    raw: str  # as typed (case kept), e.g. "ETH'yi"
    word: str  # folded, apostrophes removed: "ethyi"
    stem: str  # folded part before an apostrophe: "eth"
    suffix: str  # folded part after an apostrophe: "yi"
    number: Decimal | None  # the leading number of the token, if any ("0,01" → 0.01)
    unit: str  # what follows a leading number ("10x" → "x", "60k" → "", "5'lik" → "lik")


_NUM = re.compile(r"^(\d+(?:[.,]\d+)*)(k)?(?![\d])")
_SPLIT = re.compile(r"[\s;:!?()\[\]{}\"<>=+*/\\|]+")


def parse_number(text: str) -> Decimal | None:
    """Read '0,01', '0.01', '60.000' (Turkish thousands), '60,000.5', '1.250,75' as Decimals."""
    if not text or not text[0].isdigit():
        return None
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        # the separator that comes last is the decimal one
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif has_comma:
        if re.fullmatch(r"[1-9]\d{0,2}(,\d{3}){2,}", text):
            text = text.replace(",", "")  # 1,000,000
        else:
            text = text.replace(",", ".")  # Turkish decimal comma: 0,01
    elif has_dot and re.fullmatch(r"[1-9]\d{0,2}(\.\d{3})+", text):
        # 60.000 or 1.250.000: Turkish thousands (a decimal would rarely have exactly 3 digits
        # after a non-zero integer part in a trading sentence; 0.001 stays a decimal)
        text = text.replace(".", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value


def tokenize(text: str) -> list[Token]:
    """Split a sentence into tokens; keeps '0,01' and '60.000' whole and splits 'dry-run'."""
    tokens: list[Token] = []
    # commas and dots are separators unless they sit between digits
    text = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text)
    for apostrophe in _APOSTROPHES:
        text = text.replace(apostrophe, "'")
    for raw in _SPLIT.split(text):
        pieces = [raw]
        # split "dry-run", "stop-market", but keep ids like "spark-a1b2c3" whole
        if not (re.search(r"\d", raw) and re.fullmatch(r"[\w]+(?:[-_][\w]+)+", raw)):
            pieces = re.split(r"(?<=[^\d])[-_](?=.)|(?<=.)[-_](?=[^\d])", raw)
        for piece in pieces:
            piece = piece.strip("'-_#@$")
            if not piece:
                continue
            folded = fold(piece)
            stem, _, suffix = folded.partition("'")
            word = stem + suffix
            number = None
            unit = ""
            m = _NUM.match(word)
            if m:
                number = parse_number(m.group(1))
                if number is not None and m.group(2):
                    number *= 1000
                unit = word[m.end() :]
            tokens.append(Token(piece, word, stem, suffix, number, unit))
    return tokens


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), cut off above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_typos(length: int) -> int:
    """How many edits a word of this length may carry and still count (short words: none)."""
    if length <= 3:
        return 0
    if length <= 7:
        return 1
    return 2
