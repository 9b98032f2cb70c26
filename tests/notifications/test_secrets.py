"""The bot token is in every Bot API URL: it must never reach a log line, even at DEBUG (urllib3
logs each request line there), nor a stored error."""

from __future__ import annotations

import os
import subprocess
import sys

from notifications.models import Delivery, Kind
from notifications.services import event_emit
from tests.support import servers
from tests.support.waiting import poll


def test_the_bot_token_never_reaches_the_log_or_the_outbox(
    transactional_db, alice, telegram, link, tmp_path
):
    link(alice, 501)
    event_emit(kind=Kind.BREAKER_OPENED, dedupe_key="secret-1", payload={"reason": "ok"})
    event_emit(kind=Kind.BREAKER_OPENED, dedupe_key="secret-2", payload={"reason": "refused"})
    telegram.throttle.append(1)  # one 429 answer: an error path is logged too
    log = tmp_path / "notifier.log"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": servers.test_database_url(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TELEGRAM_API_URL": telegram.url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_POLL_TIMEOUT_SECONDS": "1",
            "SPARK_NOTIFY_POLL_SECONDS": "0.1",
            "SPARK_NOTIFY_BACKOFF_SECONDS": "0",
            "SPARK_LOG_LEVEL": "DEBUG",
        }
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_notifier", "--metrics-port", "0"],
            cwd=servers.ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            poll(
                lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2,
                60,
                what="both messages sent",
            )
        finally:
            proc.terminate()
            proc.wait(30)
    text = log.read_text()
    assert "sendMessage" in text  # the DEBUG request lines are there, with the token blanked
    assert telegram.token not in text
    secret_part = telegram.token.split(":", 1)[1]
    assert secret_part not in text
    for delivery in Delivery.objects.all():
        assert secret_part not in delivery.last_error
