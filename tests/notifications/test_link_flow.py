"""Linking a Telegram chat: one-time code, 10-minute expiry, audited; unlinked chats get only
the instructions."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditEntry
from notifications.models import LinkCode, TelegramLink
from notifications.services import link_code_create


def test_it_links_a_chat_with_a_code_from_the_profile_page(client, alice, telegram, desk):
    client.force_login(alice)
    assert client.post("/profile/telegram/code").status_code == 302
    page = client.get("/profile/").content.decode()
    code = page.split('id="telegram-code">/start ')[1].split("<")[0]
    telegram.say(501, f"/start {code}")
    desk()
    link = TelegramLink.objects.get(user=alice)
    assert link.chat_id == 501
    assert "alice" in telegram.sent(501)[-1]["text"]
    assert AuditEntry.objects.filter(
        action="telegram.link", actor=alice, target="chat:501"
    ).exists()
    # The code is shown once: a reload does not show it again.
    assert 'id="telegram-code"' not in client.get("/profile/").content.decode()


def test_a_code_works_once(alice, telegram, desk):
    code, _row = link_code_create(user=alice)
    telegram.say(501, f"/start {code}")
    telegram.say(666, f"/start {code}")
    desk()
    assert TelegramLink.objects.get(user=alice).chat_id == 501
    assert not TelegramLink.objects.filter(chat_id=666).exists()
    assert "expired" in telegram.sent(666)[-1]["text"] or "süresi" in telegram.sent(666)[-1]["text"]
    assert AuditEntry.objects.filter(
        action="telegram.link", target="chat:666", outcome=AuditEntry.Outcome.DENIED
    ).exists()


def test_an_expired_code_links_nothing(alice, telegram, desk):
    code, row = link_code_create(user=alice)
    LinkCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    telegram.say(501, f"/start {code}")
    desk()
    assert not TelegramLink.objects.exists()


def test_a_new_code_voids_the_older_one(alice, telegram, desk):
    old, _row = link_code_create(user=alice)
    link_code_create(user=alice)
    telegram.say(501, f"/start {old}")
    desk()
    assert not TelegramLink.objects.exists()


def test_an_unlinked_chat_gets_only_the_linking_instructions(alice, telegram, desk):
    telegram.say(777, "/pozisyonlar")
    telegram.say(777, "0.01 ETH al")
    desk()
    texts = [m["text"] for m in telegram.sent(777)]
    assert len(texts) == 2
    assert all("/start" in t for t in texts)
    assert all(m["reply_markup"] is None for m in telegram.sent(777))
    assert not AuditEntry.objects.filter(action="order.place").exists()


def test_the_desk_confirms_updates_so_a_restart_does_not_replay_them(alice, telegram, desk):
    telegram.say(777, "merhaba")
    desk()
    desk()
    assert len(telegram.sent(777)) == 1
    assert telegram.confirmed()


def test_a_wrong_token_is_telegrams_401(telegram):
    from notifications.channels.telegram import BotApi, TelegramError

    try:
        BotApi(token="1:wrong").send_message(1, "x")
    except TelegramError as exc:
        assert exc.code == 401 and exc.permanent
        assert "wrong" not in str(exc)  # the token never shows in an error
    else:
        raise AssertionError("a wrong token was accepted")


def test_unlink_from_the_profile_page_stops_the_desk(client, alice, telegram, desk, link):
    link(alice, 501)
    client.force_login(alice)
    client.post("/profile/telegram/unlink")
    telegram.say(501, "/pozisyonlar")
    desk()
    assert "/start" in telegram.sent(501)[-1]["text"]
    assert AuditEntry.objects.filter(action="telegram.unlink", actor=alice).exists()
