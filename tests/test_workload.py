"""The seeded workload: deterministic, valid under decide(), with fraud and an injected clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from helpers import banking, workload

START = datetime(2030, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def bank() -> workload.Workload:
    return workload.build(accounts=20, days=90, seed=42, start=START)


def test_same_seed_gives_identical_events(bank):
    again = workload.build(accounts=20, days=90, seed=42, start=START)
    assert again.events == bank.events and again.fraud == bank.fraud
    assert [banking.to_json(e) for e in again.events] == [banking.to_json(e) for e in bank.events]
    assert workload.generate(accounts=20, days=90, seed=42, start=START) == list(bank.events)


def test_another_seed_gives_other_events(bank):
    assert workload.build(accounts=20, days=90, seed=43, start=START).events != bank.events


def test_event_ids_are_unique_and_sequential(bank):
    ids = [e.event_id for e in bank.events]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "evt-000001"


def test_every_kind_of_activity_is_there(bank):
    counts = Counter(type(e).__name__ for e in bank.events)
    assert counts["AccountCreated"] == 20
    assert counts["MoneyWithdrawn"] > 1000 and counts["MoneyDeposited"] >= 60
    assert counts["TransferSent"] == counts["TransferReceived"] > 20
    salaries = [e for e in bank.events if isinstance(e, banking.MoneyDeposited) and e.description == "salary"]
    assert len(salaries) >= 2 * 20  # about three months of salaries for everyone
    assert sorted(bank.account_ids) == workload.account_ids(20) == sorted(bank.owners)


def test_no_overdraft_and_every_event_valid_under_decide(bank):
    state: dict[str, banking.Account] = {}
    by_id = {e.event_id: e for e in bank.events}
    for event in bank.events:
        state[event.account_id] = banking.apply(state.get(event.account_id), event)
        assert state[event.account_id].balance >= 0, event
    assert all(account.balance >= 0 for account in banking.replay_all(bank.events).values())
    # replaying the commands through decide() accepts every one of them
    state = {}
    for event in bank.events:
        if isinstance(event, banking.TransferReceived):
            continue  # produced together with its TransferSent
        command = {
            banking.AccountCreated: lambda e: banking.CreateAccount(e.account_id, e.owner),
            banking.MoneyDeposited: lambda e: banking.DepositMoney(e.account_id, e.amount, e.description),
            banking.MoneyWithdrawn: lambda e: banking.WithdrawMoney(e.account_id, e.amount, e.description),
            banking.TransferSent: lambda e: banking.TransferFunds(e.account_id, e.to_account_id, e.amount),
        }[type(event)](event)
        event_id = event.transfer_id if isinstance(event, banking.TransferSent) else event.event_id
        new = banking.decide(state, command, at=event.occurred_at, event_id=event_id)
        assert new[0] == event
        if isinstance(event, banking.TransferSent):
            assert by_id[new[1].event_id] == new[1]
        for produced in new:
            state[produced.account_id] = banking.apply(state.get(produced.account_id), produced)


def test_money_is_conserved(bank):
    deposited = sum(e.amount for e in bank.events if isinstance(e, banking.MoneyDeposited))
    withdrawn = sum(e.amount for e in bank.events if isinstance(e, banking.MoneyWithdrawn))
    balances = sum(a.balance for a in banking.replay_all(bank.events).values())
    assert balances == deposited - withdrawn


def test_fraud_bursts_are_present(bank):
    kinds = Counter(incident.kind for incident in bank.fraud)
    assert kinds["card_burst"] >= 1 and kinds["large_transfer"] >= 1
    by_id = {e.event_id: e for e in bank.events}
    for incident in bank.fraud:
        events = [by_id[event_id] for event_id in incident.event_ids]
        assert all(e.account_id == incident.account_id for e in events)
        assert events[0].occurred_at.hour < 5  # in the middle of the night
        if incident.kind == "card_burst":
            assert len(events) >= 5
            assert events[-1].occurred_at - events[0].occurred_at < timedelta(minutes=10)
        else:
            assert isinstance(events[0], banking.TransferSent)
            assert events[0].amount > 500


def test_timestamps_come_from_the_injected_clock_in_order(bank):
    times = [e.occurred_at for e in bank.events]
    assert times == sorted(times)
    assert times[0] >= START and times[-1] < START + timedelta(days=90)
    assert bank.start == START and bank.end == START + timedelta(days=90)
    assert all(t.tzinfo is not None for t in times)


def test_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        workload.build(start=datetime(2026, 1, 1))


def test_small_and_large_workloads():
    assert workload.generate(accounts=1, days=1, seed=1)[0].account_id == "ACC-001"
    for seed in range(30):  # tiny histories: fraud may fall before an opening, and is then declined
        assert workload.generate(accounts=1 + seed % 3, days=1 + seed % 4, seed=seed)
    # Large enough for the benchmarks and fault tests (speed is measured by `make bench`, not asserted here).
    assert len(workload.generate(accounts=80, days=90, seed=7)) > 10_000


def test_the_bank_is_the_one_seeded_history() -> None:
    assert workload.the_bank() is workload.the_bank()
    assert workload.the_bank().events == workload.build(**workload.THE_BANK).events
    assert workload.the_bank().owners["ACC-001"] == "Asha Patel"
    assert workload.NEWCOMER_ID not in workload.the_bank().account_ids
    assert workload.NEWCOMER not in workload.the_bank().owners.values()


def test_a_slice_keeps_every_event_of_its_accounts_and_days() -> None:
    bank = workload.the_bank()
    week = workload.slice_of(bank, days=7, accounts=5)
    assert week.account_ids == bank.account_ids[:5]
    assert week.events and all(e.account_id in week.account_ids and e.occurred_at < bank.start + timedelta(days=7)
                               for e in week.events)
    whole = [e for e in bank.events if e.account_id in week.account_ids and e.occurred_at < week.end]
    assert list(week.events) == whole
    assert banking.replay_all(week.events)  # every kept account's stream is still valid
    two_months = workload.slice_of(bank, days=60)
    assert two_months.fraud and all(set(incident.event_ids) <= {e.event_id for e in two_months.events}
                                    for incident in two_months.fraud)
