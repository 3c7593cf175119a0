"""Checkers for the exercises of notebook 09 (Kafka vs RabbitMQ, measured): accounts split across
competing consumers, busy and idle group members, and a latency percentile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from helpers import stats
from helpers.exercises import Verdict, attempt, failed, passed

# --- 09: which accounts did competing consumers split? -----------------------------------------

SPLIT_CASES: list[list[tuple[str, str]]] = [
    [("c1", "ACC-001"), ("c2", "ACC-001"), ("c1", "ACC-002"), ("c1", "ACC-002")],
    [("p0", "ACC-003"), ("p1", "ACC-001"), ("p0", "ACC-003"), ("p1", "ACC-001")],   # partitioned: none split
    [("b", "ACC-002"), ("a", "ACC-001"), ("c", "ACC-002"), ("a", "ACC-003"), ("b", "ACC-001"), ("a", "ACC-002")],
    [],
]


def _split_accounts(deliveries: Sequence[tuple[str, str]]) -> list[str]:
    """Accounts whose messages were handled by more than one consumer, sorted."""
    handlers: dict[str, set[str]] = {}
    for consumer, account in deliveries:
        handlers.setdefault(account, set()).add(consumer)
    return sorted(account for account, seen in handlers.items() if len(seen) > 1)


def check_split_accounts(answer: Callable[[list[tuple[str, str]]], list[str]]) -> Verdict:
    """Check split(deliveries) -> sorted accounts handled by more than one consumer."""
    for deliveries in SPLIT_CASES:
        ok, actual = attempt(answer, list(deliveries),
                             hint="collect the set of consumers per account; keep accounts with more than one")
        if not ok:
            return Verdict(False)
        expected = _split_accounts(deliveries)
        if actual != expected:
            return failed(f"split_accounts({deliveries}) is wrong", expected, actual)
    return passed("an account served by two consumers has no order guarantee: whichever is faster applies "
                  "its event first. Keyed partitions keep each account with one consumer.")


# --- 09: busy and idle members of a consumer group ----------------------------------------------

IDLE_CASES: list[tuple[list[str], int]] = [
    (["c-1", "c-2", "c-3", "c-4", "c-5"], 3), (["w-b", "w-a"], 3), (["solo"], 1),
    (["z", "y", "x", "w"], 4), (["m3", "m1", "m2"], 2),
]


def _busy_and_idle(members: Sequence[str], partitions: int) -> tuple[list[str], list[str]]:
    """Under the range assignor on one topic: the sorted members that own a partition, and those that do not."""
    ordered = sorted(members)
    return ordered[:partitions], ordered[partitions:]


def check_busy_and_idle(answer: Callable[[list[str], int], Any]) -> Verdict:
    """Check busy_and_idle(members, partitions) -> (busy members, idle members), each sorted."""
    for members, partitions in IDLE_CASES:
        ok, actual = attempt(answer, list(members), partitions,
                             hint="sort the members: the first `partitions` of them get one partition or more")
        if not ok:
            return Verdict(False)
        expected = _busy_and_idle(members, partitions)
        if not isinstance(actual, tuple | list) or len(actual) != 2 or (list(actual[0]), list(actual[1])) != expected:
            return failed(f"busy_and_idle({members}, {partitions}) is wrong", expected, actual)
    return passed("in a classic consumer group a partition is the unit of parallelism: members beyond the "
                  "partition count sit idle, so add partitions before you add consumers (or, on Kafka 4.2+, "
                  "use a share group).")


# --- 09: a latency percentile ---------------------------------------------------------------------

PERCENTILE_CASES: list[tuple[list[float], float]] = [
    ([5.0, 1.0, 3.0, 2.0, 4.0], 50), ([5.0, 1.0, 3.0, 2.0, 4.0], 100), ([7.0], 99),
    ([float(i) for i in range(1, 101)], 99), ([float(i) for i in range(200, 0, -1)], 99),
    ([2.0, 9.0, 4.0, 1.0], 25), ([2.0, 9.0, 4.0, 1.0], 26),
]


def check_percentile(answer: Callable[[list[float], float], float]) -> Verdict:
    """Check percentile(samples, q) -> the nearest-rank percentile (a value that occurred)."""
    for samples, q in PERCENTILE_CASES:
        ok, actual = attempt(answer, list(samples), q,
                             hint="sort the samples; take the ceil(q / 100 * n)-th smallest (1-based)")
        if not ok:
            return Verdict(False)
        expected = stats.percentile(samples, q)
        if actual != expected:
            return failed(f"percentile(<{len(samples)} samples>, {q}) is wrong", expected, actual)
    return passed("p99 is the latency 99 messages in 100 beat: the tail a user notices, which a mean hides.")
