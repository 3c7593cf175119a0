"""Checkers for notebook 16 (real-time analytics): which records a tumbling window drops as late, and a windowed
Quix Streams application checked on the live broker."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from helpers import kafka_io, streaming
from helpers.exercises import Verdict, attempt, failed, passed

# --- late records, closing by key ------------------------------------------------------------------

MINUTE = 60_000
#: (key, event time in ms) in arrival order, and the window length and grace of each case.
LATE_CASES: list[tuple[list[tuple[str, int]], int, int]] = [
    ([("a", 1 * MINUTE), ("a", 12 * MINUTE), ("a", 3 * MINUTE), ("a", 14 * MINUTE)], 10 * MINUTE, 0),
    ([("a", 1 * MINUTE), ("b", 25 * MINUTE), ("a", 3 * MINUTE)], 10 * MINUTE, 0),  # b's time does not close a's window
    ([("a", 1 * MINUTE), ("a", 12 * MINUTE), ("a", 3 * MINUTE)], 10 * MINUTE, 2 * MINUTE),  # 12 >= 10 + 2: dropped
    ([("a", 1 * MINUTE), ("a", 11 * MINUTE), ("a", 3 * MINUTE)], 10 * MINUTE, 2 * MINUTE),  # within grace: counted
    ([("a", 9 * MINUTE), ("a", 21 * MINUTE), ("a", 8 * MINUTE)], 10 * MINUTE, 0),  # windows start at multiples of 10
]


def reference_late(arrivals: Sequence[tuple[str, int]], length_ms: int, grace_ms: int) -> list[int]:
    """The positions of the records a tumbling window closing by key drops as late."""
    newest: dict[str, int] = {}
    dropped = []
    for position, (key, at) in enumerate(arrivals):
        end = at - at % length_ms + length_ms
        if key in newest and end + grace_ms <= newest[key]:
            dropped.append(position)
        else:
            newest[key] = max(newest.get(key, at), at)
    return dropped


def check_late_records(answer: Callable[[list[tuple[str, int]], int, int], Sequence[int]]) -> Verdict:
    """Check late_records(arrivals, length_ms, grace_ms) -> the positions dropped, on cases with known answers."""
    for arrivals, length_ms, grace_ms in LATE_CASES:
        ok, got = attempt(answer, list(arrivals), length_ms, grace_ms,
                          hint="keep the newest event time per key; a record is late when its window's end plus "
                               "the grace is at or before that time")
        if not ok:
            return Verdict(False)
        expected = reference_late(arrivals, length_ms, grace_ms)
        if list(got or []) != expected:
            return failed(f"for arrivals {arrivals} with {length_ms // MINUTE}-minute windows and "
                          f"{grace_ms // MINUTE} minutes of grace", expected, got)
    return passed("a window closes when its own key's time reaches its end plus the grace, and a record for a "
                  "closed window is dropped: Quix's default, closing by key.")


# --- a windowed application on the live broker ---------------------------------------------------------

#: ACC-001's withdrawals as they arrive: (minute of 2026-01-01 they happened, cents). 03 arrives 2 minutes late.
EXERCISE_PAYMENTS = [(1, 500), (4, 700), (11, 300), (3, 200), (14, 900), (26, 100), (31, 400)]
EXERCISE_START = datetime(2026, 1, 1, tzinfo=UTC)


def expected_ten_minute_spend() -> dict[int, int]:
    """{window start minute: cents} of 10-minute tumbling windows with 5 minutes of grace, final results only."""
    totals: dict[int, int] = {}
    for minute, cents in EXERCISE_PAYMENTS:
        totals[minute - minute % 10] = totals.get(minute - minute % 10, 0) + cents
    return {start: cents for start, cents in totals.items() if start + 10 + 5 <= max(m for m, _ in EXERCISE_PAYMENTS)}


def write_exercise_topic(topic: str) -> None:
    """The payments on a fresh one-partition topic, each record stamped with its event time."""
    kafka_io.reset_topics({topic: 1}, configs={"retention.ms": "-1"})
    with kafka_io.producer() as producer:
        for minute, cents in EXERCISE_PAYMENTS:
            at = EXERCISE_START + timedelta(minutes=minute)
            producer.send(topic, key=b"ACC-001", value=json.dumps({"cents": cents}).encode(),
                          timestamp_ms=int(at.timestamp() * 1000))
        producer.flush(timeout=10)


def judge_windows(outputs: Sequence[dict[str, Any]]) -> Verdict:
    """Judge the application's outputs: one final window per closed 10-minute window, with its total."""
    expected = expected_ten_minute_spend()
    try:
        got = {(int(w["start"]) - int(EXERCISE_START.timestamp() * 1000)) // MINUTE: w["value"] for w in outputs}
    except (KeyError, TypeError, ValueError):
        return failed("end with .sum().final(): each output should be a window {'start', 'end', 'value'}",
                      "windows", list(outputs)[:2])
    if len(got) != len(outputs):
        return failed("each window should come out once: use .final(), not .current()", len(expected), len(outputs))
    if got != expected:
        hint = ("the minute-3 payment arrived after minute 11: without grace its window was already closed"
                if got.get(0) == expected[0] - 200 else "10-minute tumbling windows, 5 minutes of grace, summing cents")
        return failed(hint, expected, got)
    return passed("two windows closed with the right totals, the late minute-3 payment counted within the grace; "
                  "the windows from minutes 20 and 30 stay open until ACC-001's time passes their end plus 5 minutes.")


def check_ten_minute_spend(answer: Callable[[Any], Any], topic: str, state_dir: Path) -> Verdict:
    """Run the learner's steps in a Quix application over a fresh topic of ACC-001's payments, then judge the output."""
    write_exercise_topic(topic)
    group = f"{topic}-app"
    streaming.reset_app(group, state_dir)
    app = streaming.application(group, topic, state_dir, use_changelog_topics=False)
    payments = app.dataframe(app.topic(topic, value_deserializer="json")).apply(lambda payment: payment["cents"])
    ok, _ = attempt(answer, payments,
                    hint="sdf.tumbling_window(timedelta(minutes=10), grace_ms=timedelta(minutes=5)).sum().final()")
    if not ok:
        return Verdict(False)
    return judge_windows(streaming.run(app))
