"""Events reach the people who want and may see them: Telegram, signed webhooks, email."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from notifications.models import Channel, Delivery, Event, Kind
from notifications.services import preference_set
from notifications.worker import Worker
from risk.services import breaker_open
from spark_site.errors import ValidationFailed


def _place(api, token, qty="0.01", symbol="ETHUSDT"):
    response = api.post(
        "/futures/order.place",
        {"symbol": symbol, "side": "BUY", "type": "MARKET", "quantity": qty, "dryRun": True},
        token=token,
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_fill_reaches_the_owners_telegram_in_turkish_formats(
    exchange, alice, telegram, link, api, token_for
):
    link(alice, 501)
    _place(api, token_for(alice))
    assert Event.objects.filter(kind=Kind.FILL).count() == 1
    assert Worker().run_once() == 1
    text = telegram.sent(501)[-1]["text"]
    assert "ETHUSDT" in text and "alış" in text
    assert "0,01" in text  # Turkish decimal comma
    assert "İstanbul" in text
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_english_readers_get_english_and_english_numbers(
    exchange, alice, telegram, link, api, token_for
):
    link(alice, 501)
    preference_set(
        user=alice, channel=Channel.TELEGRAM, kinds=[Kind.FILL], enabled=True, language="en"
    )
    exchange.control.set_price("ETHUSDT", "3400.5", mark="3400.5")
    _place(api, token_for(alice))
    Worker().run_once()
    text = telegram.sent(501)[-1]["text"]
    assert "buy" in text and "UTC" in text
    assert "3,40" in text  # thousands comma


def test_another_traders_fill_is_not_sent_to_a_trader_but_to_an_operator(
    exchange, alice, make_user, olga, telegram, link, api, token_for
):
    from accounts.roles import TRADER

    carol = make_user("carol", TRADER)
    link(carol, 502)
    link(olga, 503)
    _place(api, token_for(alice))
    Worker().run_once()
    assert [m for m in telegram.sent(502) if "ETHUSDT" in m["text"]] == []
    assert any("ETHUSDT" in m["text"] for m in telegram.sent(503))


def test_a_user_without_a_role_cannot_choose_events(mallory):
    with pytest.raises(ValidationFailed):
        preference_set(user=mallory, channel=Channel.TELEGRAM, kinds=[Kind.FILL], enabled=True)


def test_a_viewer_cannot_choose_alerts(bob):
    with pytest.raises(ValidationFailed) as exc:
        preference_set(user=bob, channel=Channel.EMAIL, kinds=[Kind.ALERT_FIRING], enabled=True)
    assert exc.value.details["notAllowed"] == [Kind.ALERT_FIRING]


def test_a_breaker_opening_is_one_event_and_reaches_a_viewer(olga, bob, telegram, link):
    link(bob, 504)
    breaker_open(actor=olga, reason="test")
    Worker().run_once()
    Worker().run_once()
    assert Event.objects.filter(kind=Kind.BREAKER_OPENED).count() == 1
    assert len([m for m in telegram.sent(504) if "test" in m["text"]]) == 1


def test_429_retry_after_is_waited_out_and_the_message_arrives_once(
    exchange, alice, telegram, link, api, token_for
):
    link(alice, 501)
    before = len(telegram.sent(501))
    telegram.throttle.append(30)
    _place(api, token_for(alice))
    worker = Worker()
    assert worker.run_once() == 0
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert "429" in delivery.last_error
    assert worker.run_once() == 0  # the channel rests for retry_after, the row waits
    Delivery.objects.update(next_attempt_at=delivery.created_at)
    worker.paused_until.clear()  # 30 s later
    assert worker.run_once() == 1
    assert len(telegram.sent(501)) == before + 1


def test_a_chat_that_blocked_the_bot_fails_for_good(
    exchange, alice, telegram, link, api, token_for
):
    link(alice, 501)
    telegram.chats.discard(501)  # Telegram: 400 chat not found
    _place(api, token_for(alice))
    Worker().run_once()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "chat not found" in delivery.last_error


class Receiver:
    """A webhook receiver on a real socket that keeps what it got."""

    def __init__(self, status=200):
        self.calls: list[tuple[dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_webhook_is_signed_with_hmac_sha256_and_carries_the_idempotency_key(
    exchange, alice, api, token_for
):
    receiver = Receiver()
    try:
        pref = preference_set(
            user=alice, channel=Channel.WEBHOOK, kinds=[Kind.FILL], enabled=True, url=receiver.url
        )
        _place(api, token_for(alice))
        assert Worker().run_once() == 1
    finally:
        receiver.stop()
    headers, body = receiver.calls[0]
    expected = "sha256=" + hmac.new(pref.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Spark-Signature"] == expected
    document = json.loads(body)
    assert document["kind"] == "fill"
    assert (
        headers["X-Spark-Idempotency-Key"]
        == document["id"]
        == str(Delivery.objects.get().idempotency_key)
    )


def test_a_failing_webhook_is_retried_with_back_off(exchange, alice, api, token_for, settings):
    settings.SPARK_NOTIFY_BACKOFF_SECONDS = 60
    receiver = Receiver(status=503)
    try:
        preference_set(
            user=alice, channel=Channel.WEBHOOK, kinds=[Kind.FILL], enabled=True, url=receiver.url
        )
        _place(api, token_for(alice))
        Worker().run_once()
        Worker().run_once()
    finally:
        receiver.stop()
    delivery = Delivery.objects.get()
    assert len(receiver.calls) == 1  # the second pass waits for the back-off
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert (delivery.next_attempt_at - delivery.created_at).total_seconds() >= 59


def test_email_goes_through_djangos_backend(exchange, make_user, api, token_for):
    from accounts.roles import TRADER

    dora = make_user("dora", TRADER, email="dora@example.com")
    preference_set(user=dora, channel=Channel.EMAIL, kinds=[Kind.FILL], enabled=True)
    _place(api, token_for(dora))
    Worker().run_once()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dora@example.com"]
    assert "ETHUSDT" in mail.outbox[0].subject
