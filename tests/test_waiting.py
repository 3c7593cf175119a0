"""helpers.waiting: a bounded wait returns once its condition holds, or says what it waited for."""

from __future__ import annotations

import threading
import time

import pytest

from helpers import waiting


def test_until_returns_as_soon_as_the_condition_holds() -> None:
    calls = []
    waiting.until(lambda: calls.append(1) or len(calls) == 3, timeout_s=30, what="never shown", interval_s=0)
    assert len(calls) == 3


def test_until_names_what_did_not_happen_and_the_bound() -> None:
    with pytest.raises(TimeoutError, match=r"^the queue stayed empty after 0.05 s$"):
        waiting.until(lambda: False, timeout_s=0.05, what="the queue stayed empty", interval_s=0.01)


def test_until_describes_the_state_at_the_time_it_gives_up() -> None:
    seen = iter(range(100))
    with pytest.raises(TimeoutError, match=r"holds \d+ messages, not -1"):
        waiting.until(lambda: next(seen) == -1, 0.05, lambda: f"holds {next(seen)} messages, not -1", interval_s=0.01)


def test_until_sleeps_with_the_given_function() -> None:
    naps: list[float] = []
    answers = iter([False, False, True])
    waiting.until(lambda: next(answers), timeout_s=30, what="-", interval_s=0.25, sleep=naps.append)
    assert naps == [0.25, 0.25]


def test_a_deadline_counts_down_and_passes() -> None:
    assert not waiting.Deadline(60).passed() and 59 < waiting.Deadline(60).remaining() <= 60
    gone = waiting.Deadline(0)
    assert gone.passed() and gone.remaining() == 0


def test_shown_ticks_the_seconds_on_stderr_while_the_block_runs(capsys) -> None:
    seen: list[str] = []

    def ticked() -> bool:
        seen.append(capsys.readouterr().err)
        return "".join(seen).count("a new leader:") >= 2  # the first line, then at least one tick

    with waiting.shown("a new leader", limit_s=5, tick_s=0.05):
        waiting.until(ticked, timeout_s=30, what="no tick while the block ran")
    seen.append(capsys.readouterr().err)
    assert "a new leader: 0 s (at most 5 s)" in "".join(seen)


def test_shown_stops_ticking_when_the_block_raises(capsys) -> None:
    with pytest.raises(TimeoutError), waiting.shown("a timer", limit_s=2, tick_s=0.01):
        raise TimeoutError("boom")
    capsys.readouterr()
    time.sleep(0.1)
    assert capsys.readouterr().err == ""  # no ticker left running after the block
    assert not any(t.name == "waiting.shown" for t in threading.enumerate())
