"""`make run`'s shape: Spark under Daphne with the worker and the Telegram desk embedded; a chat
links, an order placed over HTTP reaches the chat as a fill, /metrics shows the worker."""

from __future__ import annotations

import re

import requests

from notifications.models import TelegramLink
from notifications.services import link_code_create
from tests.support.waiting import poll


def test_the_embedded_worker_links_a_chat_and_delivers_a_fill(
    daphne, sim, alice, token_for, telegram
):
    server = daphne(
        SPARK_NOTIFIER_EMBEDDED="true",
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_POLL_TIMEOUT_SECONDS="1",
        SPARK_NOTIFY_POLL_SECONDS="0.1",
        **sim.spark_env(),
    )
    code, _row = link_code_create(user=alice)
    telegram.say(501, f"/start {code}")
    poll(lambda: TelegramLink.objects.filter(user=alice, chat_id=501).exists(), 30,
         what="the chat linked by the embedded desk")  # fmt: skip
    response = requests.post(
        f"{server.url}/futures/order.place",
        json={"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01",
              "dryRun": True},
        headers={"Authorization": f"Bearer {token_for(alice)}"},
        timeout=30,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    fill = poll(
        lambda: [m for m in telegram.sent(501) if m["text"].startswith("Gerçekleşme: ETHUSDT")],
        30,
        what="the fill message in the chat",
    )
    assert len(fill) == 1 and "0,01" in fill[0]["text"]
    metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    beat = re.search(r"^spark_notify_worker_heartbeat_timestamp_seconds (\S+)$", metrics, re.M)
    assert beat and float(beat.group(1)) > 0
    assert re.search(r"^spark_notify_delivery_lag_seconds ", metrics, re.M)
