"""Parameter changes: proposed with backtest evidence, decided by someone else (four-eyes)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEntry
from strategies import services
from strategies.documents import ema_cross
from strategies.models import ParamChangeProposal, Strategy
from tests.strategies.conftest import grant, period


@pytest.fixture
def strategy(quant):
    return services.strategy_create(user=quant, name="ema", document=ema_cross(5, 20))


def propose(api, token, strategy, params):
    return api.post(
        "/strategies/proposals",
        {"strategy_id": strategy.pk, "params": params, "reason": "faster", **period()},
        token=token,
    )


@pytest.mark.django_db
def test_a_proposal_carries_the_diff_and_backtests_of_old_and_new(
    api, quant, strategy, token_for, sim_settings
):
    r = propose(api, token_for(quant), strategy, {"fast.period": 8})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "PENDING" and body["proposer"] == "alice"
    assert body["diff"] == [{"param": "fast.period", "old": 5, "new": 8}]
    assert body["oldRun"]["metrics"]["bars"] == body["newRun"]["metrics"]["bars"] == 300
    p = ParamChangeProposal.objects.get(pk=body["id"])
    assert p.old_run.document["indicators"][0]["params"]["period"] == 5
    assert p.new_run.document["indicators"][0]["params"]["period"] == 8
    assert AuditEntry.objects.filter(action="strategy.propose", actor=quant).exists()


@pytest.mark.django_db
def test_the_proposer_cannot_approve_their_own_proposal(api, approver, token_for, sim_settings):
    s = services.strategy_create(user=approver, name="mine", document=ema_cross(5, 20))
    pid = propose(api, token_for(approver), s, {"slow.period": 30}).json()["id"]
    r = api.post(f"/strategies/proposals/{pid}/approve", {}, token=token_for(approver))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "FOUR_EYES_REQUIRED"
    assert ParamChangeProposal.objects.get(pk=pid).status == "PENDING"
    s.refresh_from_db()
    assert s.version == 1 and s.document["indicators"][1]["params"]["period"] == 20
    denied = AuditEntry.objects.get(action="strategy.proposal.approve", outcome="denied")
    assert denied.actor == approver


@pytest.mark.django_db
def test_another_approver_applies_the_change_and_it_is_audited(
    api, quant, approver, strategy, token_for, sim_settings
):
    pid = propose(api, token_for(quant), strategy, {"fast.period": 8}).json()["id"]
    r = api.post(
        f"/strategies/proposals/{pid}/approve", {"note": "looks fine"}, token=token_for(approver)
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "APPROVED" and r.json()["decidedBy"] == "olga"
    strategy.refresh_from_db()
    assert strategy.version == 2
    assert strategy.document["indicators"][0]["params"]["period"] == 8
    entry = AuditEntry.objects.get(action="strategy.proposal.approve", outcome="ok")
    assert entry.actor == approver and entry.payload["proposal"] == pid
    again = api.post(f"/strategies/proposals/{pid}/reject", {}, token=token_for(approver))
    assert again.status_code == 409


@pytest.mark.django_db
def test_a_trader_without_the_approve_permission_cannot_approve(
    api, quant, strategy, make_user, token_for, sim_settings
):
    from accounts.roles import TRADER

    other = grant(make_user("tom", TRADER), "strategies.propose_change")
    pid = propose(api, token_for(quant), strategy, {"fast.period": 8}).json()["id"]
    r = api.post(f"/strategies/proposals/{pid}/approve", {}, token=token_for(other))
    assert r.status_code == 403
    assert r.json()["error"]["details"]["permission"] == "strategies.approve_proposal"


@pytest.mark.django_db
def test_a_proposal_made_against_an_old_version_cannot_be_approved(
    api, quant, approver, strategy, token_for, sim_settings
):
    first = propose(api, token_for(quant), strategy, {"fast.period": 8}).json()["id"]
    second = propose(api, token_for(quant), strategy, {"fast.period": 12}).json()["id"]
    ok = api.post(f"/strategies/proposals/{first}/approve", {}, token=token_for(approver))
    assert ok.status_code == 200
    r = api.post(f"/strategies/proposals/{second}/approve", {}, token=token_for(approver))
    assert r.status_code == 409
    assert ParamChangeProposal.objects.get(pk=second).status == "PENDING"
    strategy.refresh_from_db()
    assert strategy.document["indicators"][0]["params"]["period"] == 8


@pytest.mark.django_db
def test_the_database_refuses_a_self_decided_proposal(quant, strategy):
    p = ParamChangeProposal.objects.create(
        strategy=strategy, base_version=1, old_document={}, new_document={}, proposer=quant
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ParamChangeProposal.objects.filter(pk=p.pk).update(decided_by=quant)


@pytest.mark.django_db
def test_only_approved_parameters_can_run(quant, approver, strategy):
    with pytest.raises(services.FourEyesViolation):  # a new strategy: not approved yet
        services.approved_document(strategy)
    strategy = services.strategy_approve(user=approver, strategy_id=strategy.pk)
    assert services.approved_document(strategy) == strategy.document
    with pytest.raises(services.FourEyesViolation):
        services.approved_document(strategy, ema_cross(9, 20))
    assert Strategy.objects.get(pk=strategy.pk).version == 1
