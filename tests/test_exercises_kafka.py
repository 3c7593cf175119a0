"""The Kafka notebooks' checkers accept the reference answers and reject wrong ones and the stubs."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from helpers import banking
from helpers.exercises import kafka as checks


def stub(*args, **kwargs):
    """The learner's untouched cell."""
    raise NotImplementedError("your turn")


# --- consumer lag ---

def lag_reference(committed: dict[int, int], end: dict[int, int]) -> dict[int, int]:
    return {p: end[p] - committed.get(p, 0) for p in end}


def lag_ignores_missing_commits(committed: dict[int, int], end: dict[int, int]) -> dict[int, int]:
    return {p: end[p] - committed[p] for p in committed}


def test_consumer_lag(capsys) -> None:
    assert checks.check_consumer_lag(lag_reference)
    assert "✅" in capsys.readouterr().out
    assert not checks.check_consumer_lag(lag_ignores_missing_commits)
    assert "❌" in capsys.readouterr().out
    assert not checks.check_consumer_lag(lambda committed, end: {p: committed.get(p, 0) - end[p] for p in end})
    assert not checks.check_consumer_lag(stub)
    assert "Not attempted" in capsys.readouterr().out


# --- range assignment ---

def assign_reference(partitions: int, consumers: Sequence[str]) -> dict[str, list[int]]:
    members = sorted(consumers)
    share, extra = divmod(partitions, len(members))
    result, start = {}, 0
    for i, member in enumerate(members):
        size = share + (i < extra)
        result[member] = list(range(start, start + size))
        start += size
    return result


def assign_round_robin(partitions: int, consumers: Sequence[str]) -> dict[str, list[int]]:
    members = sorted(consumers)
    return {m: [p for p in range(partitions) if p % len(members) == i] for i, m in enumerate(members)}


def assign_unsorted(partitions: int, consumers: Sequence[str]) -> dict[str, list[int]]:
    return {m: assign_reference(partitions, sorted(consumers))[s] for m, s in zip(consumers, sorted(consumers), strict=True)}


def test_range_assignment(capsys) -> None:
    assert checks.check_range_assignment(assign_reference)
    assert not checks.check_range_assignment(assign_round_robin)
    assert not checks.check_range_assignment(assign_unsorted)
    assert "❌" in capsys.readouterr().out
    assert not checks.check_range_assignment(stub)
    assert "Not attempted" in capsys.readouterr().out


# --- idempotent balances ---

def balances_reference(events: list[banking.Event]) -> dict[str, Decimal]:
    seen: set[str] = set()
    accounts: dict[str, banking.Account] = {}
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            accounts[event.account_id] = banking.apply(accounts.get(event.account_id), event)
    return {account: state.balance for account, state in accounts.items()}


def balances_naive(events: list[banking.Event]) -> dict[str, Decimal]:
    return {account: state.balance for account, state in banking.replay_all(events).items()}


def test_idempotent_balances(capsys) -> None:
    assert checks.check_idempotent_balances(balances_reference)
    assert not checks.check_idempotent_balances(balances_naive)
    assert "redelivered" in capsys.readouterr().out
    assert not checks.check_idempotent_balances(stub)
    assert "Not attempted" in capsys.readouterr().out


# --- triage ---

def triage_reference(value: bytes):
    try:
        return "apply", banking.from_json(value)
    except banking.MalformedEvent as error:
        return "park", str(error)


def triage_json_only(value: bytes):
    import json
    try:
        data = json.loads(value)
    except ValueError as error:
        return "park", str(error)
    return "apply", data


def triage_without_reason(value: bytes):
    verdict, detail = triage_reference(value)
    return (verdict, "") if verdict == "park" else (verdict, detail)


def test_triage(capsys) -> None:
    assert checks.check_triage(triage_reference)
    assert not checks.check_triage(triage_json_only)
    assert not checks.check_triage(triage_without_reason)
    assert not checks.check_triage(lambda value: "apply")
    assert "❌" in capsys.readouterr().out
    assert not checks.check_triage(stub)
    assert "Not attempted" in capsys.readouterr().out
