"""Adversarial cases: group chats, rights and links that change, rolled-back causes, rates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.roles import VIEWER, assign_role
from futures.models import Order
from notifications.models import Delivery, Event, Kind, Preference, TelegramLink
from notifications.services import event_emit, fan_out
from notifications.worker import Worker
from tests.notifications.test_desk_buttons import _buttons


def test_in_a_group_only_the_member_who_linked_speaks_for_the_user(exchange, alice, telegram, desk):
    from notifications.services import link_code_create

    code, _row = link_code_create(user=alice)
    telegram.say(-100, f"/start {code}", from_id=501)
    desk()
    assert TelegramLink.objects.get(user=alice).telegram_user_id == 501
    telegram.say(-100, "0.01 ETH al", from_id=999)  # another member of the group
    desk()
    assert "/start" in telegram.sent(-100)[-1]["text"]
    telegram.say(-100, "0.01 ETH al", from_id=501)
    desk()
    question = telegram.sent(-100)[-1]
    refused = telegram.press(-100, question, _buttons(question)["Onayla"], from_id=999)
    desk()
    assert not Order.objects.exists()
    assert "not for this chat" in telegram.answer_of(refused) or "sohbet" in telegram.answer_of(
        refused
    )


def test_a_chat_unlinked_after_the_fan_out_gets_nothing(alice, telegram, link):
    link(alice, 501)
    greeting = len(telegram.sent(501))
    event_emit(kind=Kind.BREAKER_OPENED, dedupe_key="b1", payload={"reason": "x"})
    fan_out()
    TelegramLink.objects.filter(user=alice).delete()
    Worker().run_once()
    assert len(telegram.sent(501)) == greeting
    assert Delivery.objects.get().status == Delivery.Status.FAILED


def test_a_user_demoted_after_the_fan_out_does_not_get_another_users_fill(
    olga, alice, telegram, link
):
    link(olga, 503)
    greeting = len(telegram.sent(503))
    event_emit(kind=Kind.FILL, dedupe_key="f1", owner=alice, payload={"symbol": "ETHUSDT"})
    fan_out()
    assign_role(olga, VIEWER)
    Worker().run_once()
    assert len(telegram.sent(503)) == greeting
    assert "role" in Delivery.objects.get().last_error


def test_an_event_rolls_back_with_the_change_that_caused_it(exchange, alice):
    from futures.models import Fill

    order = Order.objects.create(
        client_order_id="x-1", environment="sim", symbol="ETHUSDT", side="BUY", type="MARKET",
        quantity=Decimal("0.01"), user=alice,
    )  # fmt: skip
    with pytest.raises(RuntimeError), transaction.atomic():
        Fill.objects.create(
            order=order, trade_id=1, price=Decimal("3400"), qty=Decimal("0.01"),
            traded_at=timezone.now(),
        )  # fmt: skip
        raise RuntimeError("the sync failed after the fill")
    assert not Event.objects.filter(kind=Kind.FILL).exists()
    Fill.objects.create(
        order=order, trade_id=1, price=Decimal("3400"), qty=Decimal("0.01"),
        traded_at=timezone.now(),
    )  # fmt: skip
    assert Event.objects.filter(kind=Kind.FILL).count() == 1


def test_a_gate_refusal_is_an_order_rejected_event_for_its_owner(exchange, alice, api, token_for):
    response = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "1", "dryRun": True},
        token=token_for(alice),
    )
    assert response.status_code == 422
    event = Event.objects.get(kind=Kind.ORDER_REJECTED)
    assert event.owner == alice and event.payload["by"] == "gate"
    assert "notional" in event.payload["reason"]


def test_breaker_close_loss_budget_and_canary_result_are_events(olga, alice):
    from canary.models import CanaryRun
    from risk.models import RiskLimits
    from risk.services import breaker_close, breaker_open, pnl_record_manual

    breaker_open(actor=olga, reason="drill")
    breaker_close(actor=olga, reason="drill over")
    assert Event.objects.filter(kind=Kind.BREAKER_CLOSED).count() == 1
    limits = RiskLimits.load()
    pnl_record_manual(
        user=olga,
        symbol="ETHUSDT",
        amount=-(limits.daily_loss_limit_usd * Decimal("0.85")),
        reference="drill-loss",
    )
    low = Event.objects.get(kind=Kind.LOSS_BUDGET_LOW)
    assert Decimal(low.payload["remaining"]) < limits.daily_loss_limit_usd * Decimal("0.2")
    run = CanaryRun.objects.create(
        started_by=alice, environment="sim", symbol="ETHUSDT", side="BUY",
        quantity=Decimal("0.008"), expires_at=timezone.now() + timedelta(minutes=5),
        status=CanaryRun.Status.SIMULATED,
    )  # fmt: skip
    assert not Event.objects.filter(kind=Kind.CANARY_RESULT).exists()
    run.status = CanaryRun.Status.CONFIRMED
    run.save()
    run.save()
    assert Event.objects.get(kind=Kind.CANARY_RESULT).owner == alice


def test_the_telegram_rate_limit_holds_the_rest_for_a_later_pass(alice, telegram, link, settings):
    settings.SPARK_NOTIFY_TELEGRAM_PER_SECOND = 0.1  # one now, the next in 10 s
    link(alice, 501)
    greeting = len(telegram.sent(501))
    for i in range(3):
        event_emit(kind=Kind.BREAKER_OPENED, dedupe_key=f"b{i}", payload={"reason": str(i)})
    assert Worker().run_once() == 1
    assert len(telegram.sent(501)) == greeting + 1
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 2


def test_a_viewer_cannot_subscribe_to_alerts_from_the_profile_page(client, bob):
    client.force_login(bob)
    response = client.post(
        "/profile/notifications",
        {"channel": "telegram", "kinds": ["alert.firing"], "enabled": "on", "language": "tr"},
    )
    assert response.status_code == 302
    assert not Preference.objects.filter(user=bob).exists()
    page = client.get("/profile/").content.decode()
    assert 'value="alert.firing"' not in page and 'value="fill"' in page


def test_the_profile_page_needs_a_login(client):
    assert client.get("/profile/").status_code == 302
    assert client.post("/profile/telegram/code").status_code == 302


def test_the_metric_label_sets_match_the_models():
    from notifications import metrics
    from notifications.models import Channel

    assert set(metrics.KINDS) == set(Kind.values)
    assert set(metrics.CHANNELS) == set(Channel.values)


def test_a_proposal_waiting_for_approval_reaches_the_approvers_but_not_the_proposer(
    olga, make_user, alice, telegram, link
):
    from accounts.roles import OPERATOR
    from strategies.models import ParamChangeProposal, Strategy

    otto = make_user("otto", OPERATOR)
    link(olga, 503)
    link(otto, 504)
    link(alice, 501)
    before = {chat: len(telegram.sent(chat)) for chat in (501, 503, 504)}
    strategy = Strategy.objects.create(name="ema", document={}, created_by=alice)
    ParamChangeProposal.objects.create(
        strategy=strategy, base_version=1, old_document={}, new_document={},
        diff=[{"param": "fast", "old": 5, "new": 8}], proposer=olga,
    )  # fmt: skip
    Worker().run_once()
    new = {chat: telegram.sent(chat)[before[chat] :] for chat in (501, 503, 504)}
    assert new[501] == []  # a trader cannot approve
    assert new[503] == []  # the proposer cannot approve their own
    assert len(new[504]) == 1 and "Onay gerekiyor" in new[504][0]["text"]
