"""Notebook 09's checkers accept the reference answers and reject wrong ones and the stubs."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from verdicts import assert_verdicts

from helpers.exercises import comparison as checks

# --- split accounts ---

def split_reference(deliveries: list[tuple[str, str]]) -> list[str]:
    owners = defaultdict(set)
    for consumer, account in deliveries:
        owners[account].add(consumer)
    return sorted(a for a, seen in owners.items() if len(seen) > 1)


def split_by_handover(deliveries: list[tuple[str, str]]) -> list[str]:
    """Counts only consecutive hand-overs in the global list, missing interleaved ones."""
    found = {a for (c1, a), (c2, b) in zip(deliveries, deliveries[1:], strict=False) if a == b and c1 != c2}
    return sorted(found)


def test_split_accounts(capsys) -> None:
    assert_verdicts(capsys, checks.check_split_accounts, split_reference, split_by_handover,
                    lambda deliveries: sorted({a for _, a in deliveries}),
                    lambda deliveries: [a for a in split_reference(deliveries)][::-1] or ["x"])


# --- busy and idle ---

def busy_idle_reference(members: list[str], partitions: int) -> tuple[list[str], list[str]]:
    ordered = sorted(members)
    return ordered[:partitions], ordered[partitions:]


def busy_idle_unsorted(members: list[str], partitions: int) -> tuple[list[str], list[str]]:
    return members[:partitions], members[partitions:]


def test_busy_and_idle(capsys) -> None:
    assert_verdicts(capsys, checks.check_busy_and_idle, busy_idle_reference, busy_idle_unsorted,
                    lambda members, partitions: (sorted(members), []), lambda members, partitions: "all busy")


# --- percentile ---

def percentile_reference(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def percentile_interpolated(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] if len(samples) > 1 else samples[0]


def percentile_unsorted(samples: list[float], q: float) -> float:
    return samples[max(1, math.ceil(q / 100 * len(samples))) - 1]


def test_percentile(capsys) -> None:
    assert_verdicts(capsys, checks.check_percentile, percentile_reference, percentile_interpolated,
                    percentile_unsorted, lambda samples, q: statistics.mean(samples))
