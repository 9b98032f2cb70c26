"""Telegram webhook mode: Telegram POSTs updates to /notifications/telegram/webhook with the
secret of setWebhook; a wrong or missing secret is refused and audited, and an update Telegram
delivers twice (it retries until it gets a 2xx) is handled once."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from futures.models import Order
from notifications.channels import DeliveryError
from notifications.models import TelegramLink
from notifications.services import link_code_create
from tests.support.servers import DaphneServer
from tests.support.waiting import poll

HOOK = "/notifications/telegram/webhook"
SECRET = "hook-secret_0123456789"


@pytest.fixture
def webhook_on(settings, telegram):
    settings.TELEGRAM_WEBHOOK_URL = "https://spark.example" + HOOK
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


def _update(update_id: int, chat_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "u", "language_code": "tr"},
            "text": text,
        },
    }


def _post(client, body, secret: str | None = SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return client.post(HOOK, data=body, content_type="application/json", **headers)


def test_an_update_with_the_secret_links_the_chat_and_a_retry_is_taken_once(
    client, alice, telegram, webhook_on
):
    code, _row = link_code_create(user=alice)
    telegram.open_chat(501)
    first = _post(client, _update(7001, 501, f"/start {code}"))
    assert first.status_code == 200 and first.json() == {"ok": True, "duplicate": False}
    assert TelegramLink.objects.get(user=alice).chat_id == 501
    again = _post(client, _update(7001, 501, f"/start {code}"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    # One answer in the chat: the retry did not run the (now used) code a second time.
    assert len(telegram.sent(501)) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_a_wrong_or_missing_secret_is_refused_and_audited(
    client, alice, telegram, webhook_on, secret
):
    code, _row = link_code_create(user=alice)
    answer = _post(client, _update(7002, 502, f"/start {code}"), secret=secret)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "NOT_AUTHENTICATED"
    assert not TelegramLink.objects.exists() and telegram.sent() == []
    assert AuditEntry.objects.filter(
        action="telegram.webhook", outcome=AuditEntry.Outcome.DENIED
    ).exists()


def test_the_route_is_off_in_long_polling_mode_even_with_the_right_secret(
    client, alice, telegram, settings
):
    settings.TELEGRAM_WEBHOOK_URL = ""
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    code, _row = link_code_create(user=alice)
    assert _post(client, _update(7003, 503, f"/start {code}")).status_code == 401
    assert not TelegramLink.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"update_id": -1}', '{"update_id": "x"}', '{"message": {}}'],
)
def test_a_malformed_update_is_a_422_and_handles_nothing(client, telegram, webhook_on, body):
    answer = _post(client, body)
    assert answer.status_code in (400, 422), answer.content
    assert "error" in answer.json()
    assert telegram.sent() == []


def test_getupdates_is_a_409_while_a_webhook_is_set(bot, telegram):
    bot.set_webhook("http://127.0.0.1:9" + HOOK, SECRET)
    with pytest.raises(DeliveryError) as refused:
        bot.get_updates(0, 0)
    assert refused.value.code == 409
    bot.delete_webhook()
    assert bot.get_updates(0, 0) == []


def test_polling_mode_removes_a_webhook_left_by_an_earlier_run(daphne, alice, telegram):
    telegram.api_setWebhook({"url": "http://127.0.0.1:9" + HOOK, "secret_token": SECRET})
    daphne(
        SPARK_NOTIFIER_EMBEDDED="true",
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_POLL_TIMEOUT_SECONDS="1",
    )
    poll(lambda: telegram.webhook is None, 30, what="deleteWebhook from the polling desk")
    code, _row = link_code_create(user=alice)
    telegram.say(504, f"/start {code}")
    poll(lambda: TelegramLink.objects.filter(user=alice, chat_id=504).exists(), 30,
         what="the chat linked by polling")  # fmt: skip


def test_spark_in_webhook_mode_runs_a_twice_delivered_onayla_once(
    transactional_db, sim, alice, telegram
):
    server = DaphneServer(
        {
            "SPARK_NOTIFIER_EMBEDDED": "true",
            "TELEGRAM_API_URL": telegram.url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            **sim.spark_env(),
        }
    )
    server.env["TELEGRAM_WEBHOOK_URL"] = server.url + HOOK
    server.start()
    try:
        poll(lambda: telegram.webhook is not None, 30, what="setWebhook from Spark")
        assert telegram.webhook == {"url": server.url + HOOK, "secret_token": SECRET}
        code, _row = link_code_create(user=alice)
        telegram.say(505, f"/start {code}")
        poll(lambda: TelegramLink.objects.filter(user=alice, chat_id=505).exists(), 30,
             what="the chat linked through the webhook")  # fmt: skip

        telegram.say(505, "0.01 ETH al")
        question = poll(
            lambda: [m for m in telegram.sent(505) if m.get("reply_markup")], 30,
            what="the question with buttons",
        )[-1]  # fmt: skip
        buttons = {
            b["text"]: b["callback_data"]
            for row in question["reply_markup"]["inline_keyboard"]
            for b in row
        }
        telegram.redeliver_next = 1  # Telegram delivers the press twice
        press = telegram.press(505, question, buttons["Onayla"])
        poll(lambda: telegram.answer_of(press), 30, what="the answer to Onayla")
        poll(lambda: telegram.updates == [], 30, what="every update taken")
        ids = [uid for uid, status in telegram.webhook_posts if status == 200]
        assert len(ids) == len(set(ids)) + 1  # one update really was POSTed twice
        assert Order.objects.filter(user=alice).count() == 1
    finally:
        server.stop()
