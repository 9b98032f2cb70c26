"""Copilot: intent accuracy and latency on the evaluation set, against the seed's keyword matcher.

The peer is the seed's MVP approach (a lower-cased substring table: "ws başlat", "dry-run",
"canary onay", ...), scored generously on intent alone, while the copilot is scored on the
whole action (method, path and exact body). Latency: median microseconds per sentence over
ROUNDS passes of the set; strategy generation: median milliseconds per idea.
"""

from __future__ import annotations

import os
import statistics
import time

ROUNDS = int(os.environ.get("SPARK_BENCH_ROUNDS", "5"))

SEED_TABLE = (
    ("ws başlat", "ws.start"),
    ("dry-run", "order.place"),
    ("canary onay", "canary.confirm"),
    ("canary", "canary.run"),
    ("portföy", "portfolio.summary"),
    ("risk", "risk.status"),
    ("pozisyon", "positions.list"),
    ("açık emir", "orders.open"),
    ("metrics", "metrics"),
)


def seed_matcher(prompt: str) -> str:
    text = prompt.lower()
    for needle, intent in SEED_TABLE:
        if needle in text:
            return intent
    return "unknown"


def _median_us(fn, prompts, rounds) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for p in prompts:
            fn(p)
        times.append((time.perf_counter() - t0) / len(prompts) * 1e6)
    return statistics.median(times)


def run() -> list[dict]:
    from copilot.parser import interpret
    from copilot.strategy import generate
    from tests.copilot.eval_set import CASES
    from tests.copilot.test_intent_eval import expected_action

    def action_ok(prompt, intent, body, context) -> bool:
        # the tests' own expectation: a GET's query rides in its path (funding of one symbol)
        answer = interpret(prompt, context)
        return answer["intent"] == intent and answer["action"] == expected_action(intent, body)

    ours = sum(action_ok(*case) for case in CASES) / len(CASES) * 100
    peer = sum(seed_matcher(p) == intent for p, intent, _, _ in CASES) / len(CASES) * 100
    from tests.copilot.heldout_set import CASES as HELDOUT_1
    from tests.copilot.heldout_set_2 import CASES as HELDOUT_2
    from tests.copilot.test_safety_set import ACCOUNT, SENTENCES

    HELDOUT = HELDOUT_1 + HELDOUT_2  # noqa: N806 - the two held-out parts together
    held = sum(action_ok(*case) for case in HELDOUT) / len(HELDOUT) * 100
    safe = (
        sum(
            interpret(p, ctx)["action"]["method"] == "GET"
            for _, p in SENTENCES
            for ctx in (None, ACCOUNT)
        )
        / (2 * len(SENTENCES))
        * 100
    )
    prompts = [p for p, _, _, _ in CASES]
    ours_us = _median_us(lambda p: interpret(p, {}), prompts, ROUNDS)
    peer_us = _median_us(seed_matcher, prompts, ROUNDS)
    ideas = [
        "BTC 4 saatlik RSI ve MACD ile trend takip stratejisi",
        "ETH günlük bollinger ile ortalamaya dönüş, stop %3",
        "breakout on btc hourly with atr and bollinger bands",
        "SOL 15 dakikalık EMA 9 21 kesişimi",
    ]
    gen_ms = _median_us(generate, ideas, ROUNDS) / 1000
    return [
        {
            "name": "copilot action accuracy on the evaluation set",
            "figure": round(ours, 1),
            "unit": "% of sentences",
            "peer": "seed keyword matcher (intent only)",
            "peer_figure": round(peer, 1),
            "ratio": round(ours / peer, 2) if peer else None,
            "note": f"{len(CASES)} Turkish and English sentences",
        },
        {
            "name": "copilot action accuracy on the held-out set",
            "figure": round(held, 1),
            "unit": "% of sentences",
            "peer": "seed keyword matcher (intent only)",
            "peer_figure": round(
                sum(seed_matcher(p) == i for p, i, _, _ in HELDOUT) / len(HELDOUT) * 100, 1
            ),
            "ratio": None,
            "note": f"{len(HELDOUT)} sentences written apart from the tuning set; floor 95",
        },
        {
            "name": "copilot safety set",
            "figure": round(safe, 1),
            "unit": "% of sentences that change nothing",
            "peer": "floor",
            "peer_figure": 100.0,
            "ratio": round(safe / 100, 2),
            "note": f"{len(SENTENCES)} sentences, with and without account state",
        },
        {
            "name": "copilot interpret latency",
            "figure": round(ours_us, 1),
            "unit": "µs per sentence (median)",
            "peer": "seed keyword matcher",
            "peer_figure": round(peer_us, 2),
            "ratio": round(ours_us / peer_us, 1) if peer_us else None,
            "note": "lower is better; ratio = copilot / peer",
        },
        {
            "name": "strategy generation latency",
            "figure": round(gen_ms, 2),
            "unit": "ms per idea (median)",
            "peer": "one /ai/chat interpret",
            "peer_figure": round(ours_us / 1000, 3),
            "ratio": round(gen_ms / (ours_us / 1000), 1) if ours_us else None,
            "note": "lower is better",
        },
    ]
