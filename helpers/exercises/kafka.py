"""Checkers for the Kafka notebooks' exercises (05 Kafka fundamentals, 06 Kafka in the bank)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from helpers import banking
from helpers.exercises import Verdict, attempt, failed, passed

# --- 05: consumer lag ------------------------------------------------------------------------

LAG_CASES: list[tuple[dict[int, int], dict[int, int], dict[int, int]]] = [
    ({0: 5, 1: 7, 2: 0}, {0: 10, 1: 7, 2: 4}, {0: 5, 1: 0, 2: 4}),
    ({0: 3}, {0: 3, 1: 6}, {0: 0, 1: 6}),  # partition 1 never committed: the group starts at 0
    ({}, {0: 2, 1: 0, 2: 9}, {0: 2, 1: 0, 2: 9}),
]


def check_consumer_lag(answer: Callable[[dict[int, int], dict[int, int]], dict[int, int]]) -> Verdict:
    """Check lag(committed, end) -> {partition: end - committed}, a missing commit counting as 0."""
    for committed, end, expected in LAG_CASES:
        ok, actual = attempt(answer, dict(committed), dict(end),
                             hint="for every partition in `end`: end offset minus committed offset (0 if none)")
        if not ok:
            return Verdict(False)
        if actual != expected:
            return failed(f"consumer_lag({committed}, {end}) is wrong", expected, actual)
    return passed("lag is the end offset minus the committed offset, and a partition never committed "
                  "is lagging by everything in it.")


# --- 05: the range assignor ------------------------------------------------------------------

def _range_assignment(partitions: int, consumers: Sequence[str]) -> dict[str, list[int]]:
    """What Kafka's range assignor gives each consumer of one topic."""
    members = sorted(consumers)
    share, extra = divmod(partitions, len(members))
    result, start = {}, 0
    for index, member in enumerate(members):
        size = share + (1 if index < extra else 0)
        result[member] = list(range(start, start + size))
        start += size
    return result


ASSIGNMENT_CASES: list[tuple[int, list[str]]] = [
    (3, ["worker-b", "worker-a"]), (3, ["worker-a", "worker-b", "worker-c"]), (6, ["y", "x"]),
    (3, ["a", "b", "c", "d"]), (5, ["solo"]), (7, ["c", "a", "b"]),
]


def check_range_assignment(answer: Callable[[int, list[str]], dict[str, list[int]]]) -> Verdict:
    """Check assign(partitions, consumers) against the range assignor: sorted members, contiguous blocks."""
    for partitions, consumers in ASSIGNMENT_CASES:
        ok, actual = attempt(answer, partitions, list(consumers),
                             hint="sort the consumers; each gets partitions // n, the first partitions % n get one more")
        if not ok:
            return Verdict(False)
        expected = _range_assignment(partitions, consumers)
        if not isinstance(actual, dict) or {k: list(v) for k, v in actual.items()} != expected:
            return failed(f"assign({partitions}, {consumers}) is wrong", expected, actual)
    return passed("sorted members, contiguous blocks, the first members take the remainder; "
                  "a fourth consumer on three partitions gets nothing.")


# --- 06: the idempotent consumer --------------------------------------------------------------

_T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _history() -> list[banking.Event]:
    """Two accounts with a few money movements (ids are unique)."""
    at = [_T0 + timedelta(minutes=i) for i in range(8)]
    return [
        banking.AccountCreated("e1", "ACC-001", at[0], "Asha Patel"),
        banking.AccountCreated("e2", "ACC-002", at[1], "Ben Okafor"),
        banking.MoneyDeposited("e3", "ACC-001", at[2], banking.money("100.00")),
        banking.MoneyDeposited("e4", "ACC-002", at[3], banking.money("40.00")),
        banking.MoneyWithdrawn("e5", "ACC-001", at[4], banking.money("30.50")),
        banking.TransferSent("e6-out", "ACC-001", at[5], banking.money("20.00"), "ACC-002", "e6"),
        banking.TransferReceived("e6-in", "ACC-002", at[5], banking.money("20.00"), "ACC-001", "e6"),
        banking.MoneyWithdrawn("e7", "ACC-002", at[6], banking.money("5.25")),
    ]


def _with_redeliveries(events: list[banking.Event]) -> list[banking.Event]:
    """The history as an at-least-once consumer may see it: a crashed batch delivered again."""
    return events[:5] + events[2:5] + events[5:] + [events[-1]]


def check_idempotent_balances(answer: Callable[[list[banking.Event]], dict[str, Decimal]]) -> Verdict:
    """Check balances(events) -> {account: balance} that applies each event id once."""
    events = _history()
    cases = [events, _with_redeliveries(events), events + events]
    expected = {account: state.balance for account, state in banking.replay_all(events).items()}
    for delivered in cases:
        ok, actual = attempt(answer, list(delivered),
                             hint="keep a set of event ids already applied and skip an event whose id is in it")
        if not ok:
            return Verdict(False)
        if actual != expected:
            repeats = len(delivered) - len(events)
            return failed(f"with {repeats} redelivered events the balances are wrong", expected, actual)
    return passed("every redelivered event was skipped: 0 lost, 0 applied twice.")


# --- 06: triage for the dead-letter topic ------------------------------------------------------

def _triage_cases() -> list[tuple[bytes, str, str | None]]:
    """(raw value, expected verdict, expected event id or None)."""
    good = banking.to_json(_history()[2]).encode()
    unknown = json.dumps({"type": "MoneyPrinted", "event_id": "x1", "account_id": "ACC-001"}).encode()
    missing = json.dumps({"type": "MoneyDeposited", "event_id": "x2", "account_id": "ACC-001"}).encode()
    bad_amount = good.replace(b'"100.00"', b'"lots"')
    return [(good, "apply", "e3"), (b"{not json", "park", None), (unknown, "park", None),
            (missing, "park", None), (bad_amount, "park", None), (b"", "park", None)]


def check_triage(answer: Callable[[bytes], tuple[str, Any]]) -> Verdict:
    """Check triage(value) -> ("apply", event) for a valid event or ("park", reason) for anything else."""
    for raw, verdict, event_id in _triage_cases():
        ok, actual = attempt(answer, raw, hint="try banking.from_json(value); on MalformedEvent return ('park', str(error))")
        if not ok:
            return Verdict(False)
        if not (isinstance(actual, tuple) and len(actual) == 2):
            return failed(f"triage({raw!r}) should return a pair (verdict, detail)", (verdict, "..."), actual)
        if actual[0] != verdict:
            return failed(f"triage({raw!r}) chose the wrong verdict", verdict, actual[0])
        if verdict == "apply" and getattr(actual[1], "event_id", None) != event_id:
            return failed("an applied message should come with its parsed event", event_id, actual[1])
        if verdict == "park" and not (isinstance(actual[1], str) and actual[1].strip()):
            return failed(f"a parked message needs a reason someone can act on (for {raw!r})", "a non-empty string",
                          actual[1])
    return passed("good events are applied; broken JSON, unknown types, missing fields and bad amounts are "
                  "parked with a reason.")
