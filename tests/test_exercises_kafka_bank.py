"""Notebook 06's broker exercise: the judges reject committed offsets past unhandled records, and the live
checker passes a commit-after-handling loop and fails loops that commit early, never or not at all."""

from __future__ import annotations

import contextlib
import os

import pytest
from verdicts import assert_verdicts

from helpers import kafka_io
from helpers.exercises import kafka_bank as checks

END = {0: 12, 1: 8}


def run(outcome: str, handled: list[tuple[int, int]], committed: dict[int, int]) -> checks.Run:
    return checks.Run(outcome, tuple(handled), committed)


def every(end: dict[int, int]) -> list[tuple[int, int]]:
    return [(p, o) for p, count in end.items() for o in range(count)]


# --- the judges, without a broker ---

def test_clean_run_must_handle_and_commit_everything() -> None:
    assert checks.judge_clean(run("returned", every(END), dict(END)), END) is None
    assert "nothing was committed" in checks.judge_clean(run("returned", every(END), {}), END)
    assert "handled 19 of the 20" in checks.judge_clean(run("returned", every(END)[:-1], dict(END)), END)
    short = checks.judge_clean(run("returned", every(END), {0: 12, 1: 7}), END)
    assert "commit after the last batch" in short
    missing_partition = checks.judge_clean(run("returned", every(END), {0: 12}), END)
    assert "{0: 12, 1: 0}" in missing_partition


def test_crash_run_boundaries() -> None:
    handled = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (0, 3), (0, 4)]  # 7 records, then the 8th crashed
    assert checks.judge_crash(run("crashed", handled, {})) is None  # nothing committed: repeats, no loss
    assert checks.judge_crash(run("crashed", handled, {0: 5, 1: 2})) is None  # exactly up to the handled ones
    one_past = checks.judge_crash(run("crashed", handled, {0: 6, 1: 2}))
    assert "partition 0" in one_past and "record 0/5 was never handled" in one_past
    gap = checks.judge_crash(run("crashed", [(0, 0), (0, 2)], {0: 3}))
    assert "record 0/1" in gap


# --- the checker on the live broker ---

def handle_and_commit(consumer, handle, max_records: int) -> None:
    handled = 0
    while handled < max_records:
        batch = consumer.poll(timeout_ms=2000, max_records=max_records - handled)
        if not batch:
            break
        for records in batch.values():
            for record in records:
                handle(record)
                handled += 1
        consumer.commit()


def commits_before_handling(consumer, handle, max_records: int) -> None:
    handled = 0
    while handled < max_records:
        batch = consumer.poll(timeout_ms=2000, max_records=max_records - handled)
        if not batch:
            break
        consumer.commit()  # the bookmark moves before the work is done
        for records in batch.values():
            for record in records:
                handle(record)
                handled += 1


def never_commits(consumer, handle, max_records: int) -> None:
    for records in consumer.poll(timeout_ms=2000, max_records=max_records).values():
        for record in records:
            handle(record)


def swallows_the_crash(consumer, handle, max_records: int) -> None:
    handled = 0
    while handled < max_records:
        batch = consumer.poll(timeout_ms=2000, max_records=max_records - handled)
        if not batch:
            break
        for records in batch.values():
            for record in records:
                with contextlib.suppress(Exception):  # the crashed record is skipped, then committed past
                    handle(record)
                handled += 1
        consumer.commit()


@pytest.fixture
def names():
    name = f"test-kafka-bank-{os.getpid()}"
    yield name, f"{name}-group"
    kafka_io.delete_topics([name])
    kafka_io.reset_group(f"{name}-group")


@pytest.mark.live
def test_commit_after_handling_on_the_broker(capsys, names) -> None:
    topic, group = names
    assert_verdicts(capsys, lambda answer: checks.check_commit_after_handling(answer, topic, group),
                    handle_and_commit, commits_before_handling, never_commits, swallows_the_crash)
    assert kafka_io.end_offsets(topic) == checks.fill_topic(topic), "the topic is reused, not refilled"
    assert sum(kafka_io.end_offsets(topic).values()) == checks.EVENTS


@pytest.mark.live
def test_early_commit_feedback_names_the_lost_record(capsys, names) -> None:
    topic, group = names
    assert not checks.check_commit_after_handling(commits_before_handling, topic, group)
    out = capsys.readouterr().out
    assert "was never handled" in out and "Commit after handling, not before" in out, out
