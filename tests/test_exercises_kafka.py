"""The Kafka notebooks' checkers accept hand-worked answers and reject wrong ones and the stubs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from verdicts import assert_verdicts, worked

from helpers import banking
from helpers.exercises import kafka as checks

# --- consumer lag ---

LAGS = {  # (committed, end) -> lag per partition; a partition never committed lags by everything in it
    (((0, 5), (1, 7), (2, 0)), ((0, 10), (1, 7), (2, 4))): {0: 5, 1: 0, 2: 4},
    (((0, 3),), ((0, 3), (1, 6))): {0: 0, 1: 6},
    ((), ((0, 2), (1, 0), (2, 9))): {0: 2, 1: 0, 2: 9},
}


def lag_key(committed: dict[int, int], end: dict[int, int]) -> tuple:
    return tuple(sorted(committed.items())), tuple(sorted(end.items()))


def test_consumer_lag(capsys) -> None:
    assert_verdicts(capsys, checks.check_consumer_lag, worked(LAGS, lag_key),
                    lambda committed, end: {p: end[p] - committed[p] for p in committed},  # forgets uncommitted ones
                    lambda committed, end: {p: committed.get(p, 0) - end[p] for p in end})


# --- range assignment ---

RANGES = {  # (partitions, consumers) -> the range assignor's blocks: sorted members, the first take the remainder
    (3, ("worker-b", "worker-a")): {"worker-a": [0, 1], "worker-b": [2]},
    (3, ("worker-a", "worker-b", "worker-c")): {"worker-a": [0], "worker-b": [1], "worker-c": [2]},
    (6, ("y", "x")): {"x": [0, 1, 2], "y": [3, 4, 5]},
    (3, ("a", "b", "c", "d")): {"a": [0], "b": [1], "c": [2], "d": []},
    (5, ("solo",)): {"solo": [0, 1, 2, 3, 4]},
    (7, ("c", "a", "b")): {"a": [0, 1, 2], "b": [3, 4], "c": [5, 6]},
}


def range_key(partitions: int, consumers: Sequence[str]) -> tuple:
    return partitions, tuple(consumers)


def assign_round_robin(partitions: int, consumers: Sequence[str]) -> dict[str, list[int]]:
    members = sorted(consumers)
    return {m: [p for p in range(partitions) if p % len(members) == i] for i, m in enumerate(members)}


def test_range_assignment(capsys) -> None:
    unsorted = {**RANGES, (3, ("worker-b", "worker-a")): {"worker-b": [0, 1], "worker-a": [2]}}
    remainder_last = {**RANGES, (7, ("c", "a", "b")): {"a": [0, 1], "b": [2, 3], "c": [4, 5, 6]}}
    assert_verdicts(capsys, checks.check_range_assignment, worked(RANGES, range_key), assign_round_robin,
                    worked(unsorted, range_key), worked(remainder_last, range_key))


# --- idempotent balances ---

BALANCES = {"ACC-001": Decimal("49.50"),  # 100.00 - 30.50 - 20.00 sent
            "ACC-002": Decimal("54.75")}  # 40.00 + 20.00 received - 5.25


def balances_naive(events: list[banking.Event]) -> dict[str, Decimal]:
    return {account: state.balance for account, state in banking.replay_all(events).items()}


def test_idempotent_balances(capsys) -> None:
    assert_verdicts(capsys, checks.check_idempotent_balances, lambda events: dict(BALANCES), balances_naive)
    checks.check_idempotent_balances(balances_naive)
    assert "redelivered" in capsys.readouterr().out


# --- triage ---

def triage_with_the_parser(value: bytes):
    """The course's parser decides: banking.from_json raises MalformedEvent for anything that is not an event."""
    try:
        return "apply", banking.from_json(value)
    except banking.MalformedEvent as error:
        return "park", str(error)


def triage_json_only(value: bytes):
    try:
        data = json.loads(value)
    except ValueError as error:
        return "park", str(error)
    return "apply", data


def triage_without_reason(value: bytes):
    verdict, detail = triage_with_the_parser(value)
    return (verdict, "") if verdict == "park" else (verdict, detail)


def test_triage(capsys) -> None:
    assert_verdicts(capsys, checks.check_triage, triage_with_the_parser, triage_json_only, triage_without_reason,
                    lambda value: "apply")
