"""Safety rules no sentence can bypass: the one place an answer is checked before it leaves.

A negation ("alma", "don't buy"), a question ("alsam mı?", "should I sell?") or a hypothetical
("what if I buy", "eğer satarsam") never produces an action that changes anything: the answer
becomes a question back. Leverage and margin-type changes, closes, cancels, protective orders
and every live order always need a confirmation. The LLM fallback goes through the same check.
"""

from __future__ import annotations

import re

from copilot.text import fold

# Turkish verbs a trader commands; with the negative suffix -ma/-me they mean "don't ...".
_TR_VERBS = (
    "al|sat|kapat|kapa|ac|gir|ver|gonder|yolla|koy|et|yap|degistir|cik|kaldir|onayla|basla|"
    "baslat|calistir|bas|artir|azalt|dus|ekle|iptal"
)
# "alma", "almayın", "almayalım", "satmasın", "kapatmayın", "almam", "almıyorum", "almayacağım"
_TR_NEGATED = re.compile(
    rf"^({_TR_VERBS})(ma|me)(yin|yiniz|yalim|sin|sinlar|m|z|yacagim|yacagiz|yacak|dan|den|ya)?$"
    rf"|^({_TR_VERBS})(mi|mu)(yor|yorum|yoruz|yorlar)$"
    r"|^istemi(yor|yorum|yoruz)$|^isteme(m|yiz)$|^istemem$"
)
_TR_NEGATION_WORDS = {"sakin", "asla", "hayir", "degil", "olmasin", "yok", "hic"}
_EN_NEGATION_WORDS = {
    "not",
    "dont",
    "never",
    "no",
    "nope",
    "avoid",
    "doesnt",
    "cant",
    "cannot",
    "wont",
    "shouldnt",
    "mustnt",
    "isnt",
    "nothing",
    "stop",  # only as "stop buying"/"stop selling" (checked below)
}
# words that a negation may modify without negating the command: "gerçek değil" (not live),
# "not reduce-only", "no leverage change"... they may only make the order safer, never live
_MODIFIER_WORDS = {
    "gercek",
    "canli",
    "real",
    "live",
    "dry",
    "dryrun",
    "run",
    "deneme",
    "test",
    "paper",
    "sahte",
}
# "alsam", "satsak", "alsaydım", "alırsam", "satarsak", "kapatsam"
_TR_CONDITIONAL = re.compile(
    rf"^({_TR_VERBS}|alir|satar|kapatir|acar|girer|verir|yapar|eder)"
    r"(sa|se)(m|k|n|niz|ydim|ydik|ydi|ydin|ymis)?(mi|mu)?$"
)
_TR_HYPOTHETICAL_WORDS = {"eger", "sayet", "farz", "diyelim", "olsaydi", "olsa", "varsayalim"}
_EN_HYPOTHETICAL = re.compile(
    r"\b(what if|if|suppose|supposing|hypothetically|imagine|would(?! like)|let'?s say|in case|"
    r"pretend|assuming)\b"
)
_EN_QUESTION = re.compile(
    r"\b(should (i|we)|shall (i|we)|do you think|would it|is it|is this|can i|could i|"
    r"may i|ought|worth it|how about|whether|what do you think|good idea|wise)\b"
)
_TR_QUESTION_WORDS = {
    "mi",
    "mu",
    "misin",
    "musun",
    "miyim",
    "miyiz",
    "misiniz",
    "musunuz",
    "midir",
    "sence",
    "mantikli",
    "dersin",
    "gerekir",
    "mali",
    "meli",
    "malimiyim",
    "melimiyim",
}
_TR_QUESTION_SUFFIX = re.compile(r"^\w+(sam|sak|yim|yayim|layim|malimi|melimi)(mi|mu)$")


def _words(prompt: str) -> list[str]:
    text = fold(prompt).replace("'", "").replace("’", "")
    return re.findall(r"[a-z0-9%]+", text)


def mood(prompt: str) -> str | None:
    """'negation', 'question', 'hypothetical' or None (a plain command)."""
    words = _words(prompt)
    if _negated(words):
        return "negation"
    if _hypothetical(prompt, words):
        return "hypothetical"
    if "?" in prompt or _question(prompt, words):
        return "question"
    return None


def _negated(words: list[str]) -> bool:
    for i, word in enumerate(words):
        near = set(words[max(0, i - 2) : i + 3]) - {word}
        if _TR_NEGATED.match(word):
            if word == "alma" and i > 0 and words[i - 1] == "satin":
                continue  # "satın alma emri": a purchase order, not "don't buy"
            if word.startswith(("gonder", "ver", "yolla")) and set(words[max(0, i - 2) : i]) & {
                "gercek",
                "canli",
            }:
                continue  # "gerçek emir gönderme": not a live one; the order stays a dry-run
            return True
        if word in _TR_NEGATION_WORDS or word in _EN_NEGATION_WORDS:
            if word == "no" and i + 1 < len(words) and words[i + 1][:1].isdigit():
                continue  # "order no 123": a number, not a refusal
            if word == "stop" and not (
                i + 1 < len(words) and words[i + 1] in ("buying", "selling", "trading")
            ):
                continue  # "stop loss", "stop market": an order type
            if word in ("yok", "hic") and not near & {"al", "sat", "emir", "islem", "kapat"}:
                continue  # "pozisyonum yok mu": a read
            if near & _MODIFIER_WORDS and word in ("not", "degil", "olmasin", "no"):
                continue  # "gerçek değil", "not live": makes it a dry-run, never live
            return True
    return False


def _hypothetical(prompt: str, words: list[str]) -> bool:
    if any(w in _TR_HYPOTHETICAL_WORDS for w in words):
        return True
    if any(_TR_CONDITIONAL.match(w) for w in words):
        return True
    return bool(_EN_HYPOTHETICAL.search(" ".join(words)))


def _question(prompt: str, words: list[str]) -> bool:
    if any(w in _TR_QUESTION_WORDS for w in words):
        return True
    if any(_TR_QUESTION_SUFFIX.match(w) for w in words):
        return True
    return bool(_EN_QUESTION.search(" ".join(words)))


# Intents whose action changes nothing: they may answer a question or a negated sentence.
READ_ONLY_METHODS = {"GET"}
# Every one of these asks for a confirmation, whatever the sentence says.
ALWAYS_CONFIRM = {
    "leverage.set",
    "margin.set",
    "position.close",
    "position.protect",
    "position.trailing",
    "order.cancel",
    "order.cancelAll",
    "order.modify",
    "canary.confirm",
    "risk.breaker.close",
    "risk.breaker.open",
}


def needs_confirmation(intent: str, method: str, body: dict | None) -> bool:
    """True for the always-confirm intents and every order that would be live."""
    if intent in ALWAYS_CONFIRM:
        return True
    return method == "POST" and isinstance(body, dict) and body.get("dryRun") is False


def blocks(found_mood: str | None, method: str) -> bool:
    """A negation, a question or a hypothetical never produces a changing (POST) action."""
    return found_mood is not None and method not in READ_ONLY_METHODS


REFUSALS = {
    "negation": (
        "Olumsuz bir cümle: hiçbir işlem hazırlamadım. Bir işlem istiyorsanız onu olumlu "
        "bir komutla yazın.",
        "That sentence is a negation: I prepared no action. If you want one, write it as a "
        "plain command.",
    ),
    "question": (
        "Bu bir soru: işlem hazırlamadım, yatırım tavsiyesi de vermem. İsterseniz açık bir "
        "komut yazın; hesabınızın durumunu aşağıdan görebilirsiniz.",
        "That is a question: I prepared no action and give no investment advice. Write a plain "
        "command if you want one; your account's state is one click below.",
    ),
    "hypothetical": (
        "Varsayımsal bir cümle: işlem hazırlamadım. Gerçekten istiyorsanız açık bir komut yazın.",
        "That is a hypothetical: I prepared no action. Write a plain command if you mean it.",
    ),
}
