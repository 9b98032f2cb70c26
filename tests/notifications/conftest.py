"""The Telegram stand-in and a bot pointed at it; the cast comes from tests/conftest.py."""

from __future__ import annotations

import pytest

from tests.support.telegram import TelegramStandIn


@pytest.fixture
def telegram(settings):
    stand_in = TelegramStandIn().start()
    settings.TELEGRAM_API_URL = stand_in.url
    settings.TELEGRAM_BOT_TOKEN = stand_in.token
    settings.SPARK_NOTIFY_BACKOFF_SECONDS = 0
    yield stand_in
    stand_in.stop()


@pytest.fixture
def bot(telegram):
    from notifications.channels.telegram import BotApi

    return BotApi()


@pytest.fixture
def desk(bot, telegram):
    """Handle every update the stand-in holds (one getUpdates pass, no waiting)."""
    from notifications.desk import poll_once

    def run() -> int:
        return poll_once(bot, timeout=0)

    return run


@pytest.fixture
def link(desk, telegram):
    """Link a chat to a user through the real flow: code on the profile, /start in Telegram."""
    from notifications.services import link_code_create

    def make(user, chat_id: int):
        code, _row = link_code_create(user=user)
        telegram.say(chat_id, f"/start {code}")
        desk()
        return chat_id

    return make
