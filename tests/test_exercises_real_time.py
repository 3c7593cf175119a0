"""Notebook 16's checkers accept the reference answers and reject wrong ones, boundary cases and the stubs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from helpers import kafka_io
from helpers.exercises import real_time as checks


def stub(*args, **kwargs):
    """The learner's untouched cell."""
    raise NotImplementedError("your turn")


def late_across_keys(arrivals, length_ms, grace_ms):
    """Wrong: one clock for all keys (closing by partition), so b's time closes a's window."""
    newest, dropped = None, []
    for position, (_key, at) in enumerate(arrivals):
        end = at - at % length_ms + length_ms
        if newest is not None and end + grace_ms <= newest:
            dropped.append(position)
        else:
            newest = max(newest or at, at)
    return dropped


def late_strictly_before(arrivals, length_ms, grace_ms):
    """Wrong at the boundary: a window whose end plus grace equals the key's time is still open."""
    newest, dropped = {}, []
    for position, (key, at) in enumerate(arrivals):
        end = at - at % length_ms + length_ms
        if key in newest and end + grace_ms < newest[key]:
            dropped.append(position)
        else:
            newest[key] = max(newest.get(key, at), at)
    return dropped


def late_unaligned(arrivals, length_ms, grace_ms):
    """Wrong: a window that starts at the record (sliding), not at a multiple of the length (tumbling)."""
    newest, dropped = {}, []
    for position, (key, at) in enumerate(arrivals):
        if key in newest and at + length_ms + grace_ms <= newest[key]:
            dropped.append(position)
        else:
            newest[key] = max(newest.get(key, at), at)
    return dropped


def out_of_order_is_late(arrivals, length_ms, grace_ms):
    """Wrong: every record older than its key's newest is late, grace or not."""
    newest, dropped = {}, []
    for position, (key, at) in enumerate(arrivals):
        if at < newest.get(key, at):
            dropped.append(position)
        newest[key] = max(newest.get(key, at), at)
    return dropped


def test_late_records_accepts_the_reference() -> None:
    assert checks.check_late_records(checks.reference_late)


@pytest.mark.parametrize("wrong", [late_across_keys, late_strictly_before, late_unaligned, out_of_order_is_late,
                                   lambda arrivals, length_ms, grace_ms: []])
def test_late_records_rejects_wrong_answers(wrong) -> None:
    assert not checks.check_late_records(wrong)


def test_late_records_reports_the_stub(capsys: pytest.CaptureFixture[str]) -> None:
    assert not checks.check_late_records(stub)
    assert "Not attempted" in capsys.readouterr().out


def windows(totals: dict[int, int], repeat: int = 1) -> list[dict]:
    """Quix-shaped final windows (start, end, value) for {start minute: cents}."""
    base = int(checks.EXERCISE_START.timestamp() * 1000)
    return [{"start": base + start * checks.MINUTE, "end": base + (start + 10) * checks.MINUTE, "value": cents}
            for start, cents in totals.items() for _ in range(repeat)]


def test_the_expected_windows_count_the_late_payment_within_grace() -> None:
    assert checks.expected_ten_minute_spend() == {0: 1400, 10: 1200}


def test_judge_windows_accepts_the_right_final_windows() -> None:
    assert checks.judge_windows(windows({0: 1400, 10: 1200}))


@pytest.mark.parametrize("outputs", [
    windows({0: 1200, 10: 1200, 20: 100}),      # no grace: the late payment dropped, window 20 closed early
    windows({0: 1400, 10: 1200}, repeat=2),     # .current(): a window repeated
    windows({0: 1400}),                         # a window missing
    [{"_value": 500}, {"_value": 700}],         # no window at all
])
def test_judge_windows_rejects_wrong_outputs(outputs: list[dict]) -> None:
    assert not checks.judge_windows(outputs)


def ten_minute_spend(payments):
    """The reference: 10-minute tumbling windows, 5 minutes of grace, final sums."""
    return payments.tumbling_window(timedelta(minutes=10), grace_ms=timedelta(minutes=5)).sum().final()


def ten_minute_spend_without_grace(payments):
    """Wrong: no grace, so the payment that arrives 2 minutes late is dropped."""
    return payments.tumbling_window(timedelta(minutes=10)).sum().final()


@pytest.mark.live
@pytest.mark.parametrize(("answer", "correct"), [(ten_minute_spend, True), (ten_minute_spend_without_grace, False)])
def test_the_live_checker_runs_the_application(tmp_path: Path, answer, correct: bool) -> None:
    topic = f"test-exercise-{uuid.uuid4().hex[:8]}"
    try:
        assert bool(checks.check_ten_minute_spend(answer, topic, tmp_path)) is correct
    finally:
        checks.streaming.reset_app(f"{topic}-app", tmp_path)
        kafka_io.delete_topics([topic])


@pytest.mark.live
def test_the_live_checker_reports_the_stub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    topic = f"test-exercise-{uuid.uuid4().hex[:8]}"
    try:
        assert not checks.check_ten_minute_spend(stub, topic, tmp_path)
        assert "Not attempted" in capsys.readouterr().out
    finally:
        kafka_io.delete_topics([topic])
