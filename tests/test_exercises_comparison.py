"""Notebook 09's checkers accept hand-worked answers and reject wrong ones and the stubs."""

from __future__ import annotations

import math
import statistics

from verdicts import assert_verdicts, worked

from helpers.exercises import comparison as checks

# --- split accounts ---

SPLITS = {  # deliveries (consumer, account) -> accounts handled by more than one consumer, sorted
    (("c1", "ACC-001"), ("c2", "ACC-001"), ("c1", "ACC-002"), ("c1", "ACC-002")): ["ACC-001"],
    (("p0", "ACC-003"), ("p1", "ACC-001"), ("p0", "ACC-003"), ("p1", "ACC-001")): [],
    (("b", "ACC-002"), ("a", "ACC-001"), ("c", "ACC-002"), ("a", "ACC-003"), ("b", "ACC-001"), ("a", "ACC-002")):
        ["ACC-001", "ACC-002"],
    (): [],
}
INTERLEAVED = next(key for key in SPLITS if len(key) == 6)


def split_key(deliveries: list[tuple[str, str]]) -> tuple:
    return tuple(deliveries)


def split_by_handover(deliveries: list[tuple[str, str]]) -> list[str]:
    """Counts only consecutive hand-overs in the global list, missing interleaved ones."""
    found = {a for (c1, a), (c2, b) in zip(deliveries, deliveries[1:], strict=False) if a == b and c1 != c2}
    return sorted(found)


def test_split_accounts(capsys) -> None:
    assert_verdicts(capsys, checks.check_split_accounts, worked(SPLITS, split_key), split_by_handover,
                    lambda deliveries: sorted({a for _, a in deliveries}),
                    worked({**SPLITS, INTERLEAVED: ["ACC-002", "ACC-001"]}, split_key))  # not sorted


# --- busy and idle ---

BUSY_IDLE = {  # (members, partitions) -> (busy, idle), each sorted
    (("c-1", "c-2", "c-3", "c-4", "c-5"), 3): (["c-1", "c-2", "c-3"], ["c-4", "c-5"]),
    (("w-b", "w-a"), 3): (["w-a", "w-b"], []),
    (("solo",), 1): (["solo"], []),
    (("z", "y", "x", "w"), 4): (["w", "x", "y", "z"], []),
    (("m3", "m1", "m2"), 2): (["m1", "m2"], ["m3"]),
}


def busy_idle_key(members: list[str], partitions: int) -> tuple:
    return tuple(members), partitions


def busy_idle_unsorted(members: list[str], partitions: int) -> tuple[list[str], list[str]]:
    return members[:partitions], members[partitions:]


def test_busy_and_idle(capsys) -> None:
    assert_verdicts(capsys, checks.check_busy_and_idle, worked(BUSY_IDLE, busy_idle_key), busy_idle_unsorted,
                    lambda members, partitions: (sorted(members), []), lambda members, partitions: "all busy")


# --- percentile ---

ONE_TO_100 = tuple(float(i) for i in range(1, 101))
TWO_HUNDRED_DOWN = tuple(float(i) for i in range(200, 0, -1))
PERCENTILES = {  # (samples, q) -> the ceil(q / 100 * n)-th smallest sample
    ((5.0, 1.0, 3.0, 2.0, 4.0), 50): 3.0,    # ceil(2.5) = 3rd of 1..5
    ((5.0, 1.0, 3.0, 2.0, 4.0), 100): 5.0,
    ((7.0,), 99): 7.0,                        # ceil(0.99) = 1st
    (ONE_TO_100, 99): 99.0,
    (TWO_HUNDRED_DOWN, 99): 198.0,            # ceil(198) = 198th of 1..200
    ((2.0, 9.0, 4.0, 1.0), 25): 1.0,          # ceil(1.0) = 1st
    ((2.0, 9.0, 4.0, 1.0), 26): 2.0,          # ceil(1.04) = 2nd
}


def percentile_key(samples: list[float], q: float) -> tuple:
    return tuple(samples), q


def percentile_interpolated(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] if len(samples) > 1 else samples[0]


def percentile_unsorted(samples: list[float], q: float) -> float:
    return samples[max(1, math.ceil(q / 100 * len(samples))) - 1]


def test_percentile(capsys) -> None:
    assert_verdicts(capsys, checks.check_percentile, worked(PERCENTILES, percentile_key), percentile_interpolated,
                    percentile_unsorted, lambda samples, q: statistics.mean(samples))
