"""The optional language-model fallback against a small local fake endpoint (real HTTP).

The endpoint answers by the sentence it receives: canned good answers, malformed ones, a body
the schema refuses, a live order, and a slow answer. What it received is checked too.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

CANNED = {
    "ne var ne yok": {"intent": "positions.list", "body": None},
    "şu işi bir toparla": {
        "intent": "order.place",
        "body": {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.01",
            "dryRun": False,
        },
    },
    "onu da ayarla bakalım": {
        "intent": "leverage.set",
        "body": {"symbol": "BTCUSDT", "leverage": 500},
    },
    "bir sürpriz yap": {"intent": "clarify", "body": None},
    "bir şeyler uçur": {"intent": "positions.list", "body": None},
}


class Fake(BaseHTTPRequestHandler):
    received: list[dict] = []
    headers_seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Fake.received.append(payload)
        Fake.headers_seen.append(dict(self.headers))
        sentence = payload["messages"][-1]["content"].split("\n")[0]
        if sentence == "bir şeyler uçur":
            time.sleep(1.5)
        if sentence == "bozuk json":
            content = "{intent: positions.list"
        elif sentence == "sunucu hatasi":
            self.send_response(500)
            self.end_headers()
            return
        else:
            content = json.dumps(CANNED.get(sentence, {"intent": "nonsense"}))
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_llm(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Fake.received.clear()
    Fake.headers_seen.clear()
    settings.SPARK_COPILOT_LLM_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.SPARK_COPILOT_LLM_API_KEY = "sk-test-secret-key"
    settings.SPARK_COPILOT_LLM_TIMEOUT_SECONDS = 0.5
    yield Fake
    server.shutdown()
    server.server_close()


def _chat(api, token, prompt, context=None):
    body = {"prompt": prompt, **({"context": context} if context else {})}
    response = api.post("/ai/chat", body, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def test_it_is_off_by_default_and_nothing_is_sent(api, alice, token_for, settings):
    assert settings.SPARK_COPILOT_LLM_URL == ""
    assert _chat(api, token_for(alice), "ne var ne yok")["intent"] == "unknown"


def test_a_valid_answer_is_used_when_the_rules_do_not_understand(api, alice, token_for, fake_llm):
    answer = _chat(api, token_for(alice), "ne var ne yok")
    assert answer["intent"] == "positions.list"
    assert answer["action"] == {"method": "GET", "path": "/futures/positions", "body": None}
    # the rules answer what they understand: the model is not asked
    _chat(api, token_for(alice), "pozisyonlarım")
    assert len(fake_llm.received) == 1


def test_a_live_order_from_the_model_stays_a_dry_run_unless_the_sentence_says_live(
    api, alice, token_for, fake_llm
):
    answer = _chat(api, token_for(alice), "şu işi bir toparla")
    assert answer["intent"] == "order.place"
    assert answer["action"]["body"]["dryRun"] is True


@pytest.mark.parametrize(
    "prompt",
    [
        "bozuk json",
        "sunucu hatasi",
        "onu da ayarla bakalım",
        "bir sürpriz yap",
        "bir şeyler uçur",
        "xyz",
    ],
)
def test_malformed_refused_or_late_answers_become_a_question(
    api, alice, token_for, fake_llm, prompt
):
    answer = _chat(api, token_for(alice), prompt)
    assert answer["intent"] == "clarify"
    assert answer["action"]["method"] == "GET"


def test_a_negated_sentence_never_reaches_the_model(api, alice, token_for, fake_llm):
    answer = _chat(api, token_for(alice), "ne var ne yok, sakın bir şey alma")
    assert answer["action"]["method"] == "GET"
    assert fake_llm.received == []


def test_what_is_sent_holds_no_secret_and_no_account_without_consent(
    api, alice, token_for, fake_llm, settings, exchange
):
    token = token_for(alice)
    placed = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.02", "dryRun": False},
        token=token,
    )
    assert placed.status_code == 200
    api.get("/futures/positions", token=token)
    _chat(api, token, "ne var ne yok")
    sent = json.dumps(fake_llm.received[-1])
    assert "ne var ne yok" in sent
    assert "ETHUSDT 0.02" not in sent and "sk-test-secret-key" not in sent
    assert settings.BINANCE_API_SECRET not in sent and settings.BINANCE_API_KEY not in sent
    assert fake_llm.headers_seen[-1]["Authorization"] == "Bearer sk-test-secret-key"
    settings.SPARK_COPILOT_LLM_SEND_ACCOUNT = True
    _chat(api, token, "ne var ne yok")
    assert "ETHUSDT 0.02" in json.dumps(fake_llm.received[-1])


HEDGE = {
    "positionMode": "hedge",
    "positions": [{"symbol": "ETHUSDT", "positionAmt": "0.01", "positionSide": "LONG"}],
}


@pytest.mark.parametrize(
    ("canned", "accepted"),
    [
        # no side: on a hedge account the server would refuse it; the copilot asks instead
        ({"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.01"}, False),
        (
            {
                "symbol": "ETHUSDT",
                "side": "SELL",
                "type": "MARKET",
                "quantity": "0.01",
                "positionSide": "LONG",
                "reduceOnly": True,
            },
            False,
        ),
        (
            {
                "symbol": "ETHUSDT",
                "side": "SELL",
                "type": "MARKET",
                "quantity": "0.01",
                "positionSide": "LONG",
            },
            True,
        ),
    ],
)
def test_on_a_hedge_account_a_model_order_must_name_its_side_and_never_reduce_only(
    fake_llm, settings, canned, accepted
):
    from copilot import llm
    from copilot.parser import interpret

    CANNED["hedge toparla"] = {"intent": "order.place", "body": canned}
    settings.SPARK_COPILOT_LLM_SEND_ACCOUNT = True
    try:
        answer = interpret("hedge toparla", HEDGE, fallback=llm.fallback)
    finally:
        del CANNED["hedge toparla"]
    assert answer["intent"] == ("order.place" if accepted else "clarify")
    if accepted:
        assert answer["action"]["body"]["positionSide"] == "LONG"
        assert "reduceOnly" not in answer["action"]["body"]
    # with consent the model is told the side and the mode
    sent = fake_llm.received[-1]["messages"][-1]["content"]
    assert "ETHUSDT LONG 0.01" in sent and "hedge mode" in sent


def test_on_a_one_way_account_a_model_order_naming_a_side_is_a_question(fake_llm):
    from copilot import llm
    from copilot.parser import interpret

    body = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    CANNED["tek yön toparla"] = {"intent": "order.place", "body": {**body, "positionSide": "LONG"}}
    try:
        answer = interpret("tek yön toparla", {"positionMode": "one-way"}, fallback=llm.fallback)
    finally:
        del CANNED["tek yön toparla"]
    assert answer["intent"] == "clarify"
