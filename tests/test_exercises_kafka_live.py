"""Notebook 05's broker exercise: the checker reads the real topic back and rejects wrong producers."""

from __future__ import annotations

import contextlib

import pytest
from verdicts import assert_verdicts

from helpers.exercises import kafka_live as checks

pytestmark = pytest.mark.live


def send_by_account(producer, topic, events) -> None:
    """The lesson's answer: the account id as the key, then flush."""
    for event in events:
        producer.send(topic, key=event.account_id, value=event)
    producer.flush()


def without_flush(producer, topic, events) -> None:
    for event in events:
        producer.send(topic, key=event.account_id, value=event)


def without_key(producer, topic, events) -> None:
    for event in events:
        producer.send(topic, value=event)
    producer.flush()


def round_robin(producer, topic, events) -> None:
    for i, event in enumerate(events):
        producer.send(topic, key=event.account_id, value=event, partition=i % checks.KEYED_PARTITIONS)
    producer.flush()


def twice(producer, topic, events) -> None:
    send_by_account(producer, topic, events)
    send_by_account(producer, topic, events[:1])


def newest_first(producer, topic, events) -> None:
    send_by_account(producer, topic, list(reversed(events)))


def test_keyed_producer(capsys) -> None:
    assert_verdicts(capsys, checks.check_keyed_producer, send_by_account,
                    without_flush, without_key, round_robin, twice, newest_first)


@pytest.mark.parametrize(("answer", "says"), [
    (without_flush, "flush()"), (without_key, "key=event.account_id"), (round_robin, "do not pass partition="),
    (twice, "more than once"), (newest_first, "not in the order"),
])
def test_keyed_producer_says_what_is_wrong(capsys, answer, says) -> None:
    assert not checks.check_keyed_producer(answer)
    assert says in capsys.readouterr().out


# --- commit after processing ---

def process_and_commit(consumer, handle) -> None:
    """The lesson's answer: handle a polled batch, then commit it."""
    while batch := consumer.poll(timeout_ms=2000):
        for records in batch.values():
            for record in records:
                handle(record)
        consumer.commit()


def commit_first(consumer, handle) -> None:
    while batch := consumer.poll(timeout_ms=2000):
        consumer.commit()  # the bookmark moves before the work is done
        for records in batch.values():
            for record in records:
                handle(record)


def never_commits(consumer, handle) -> None:
    while batch := consumer.poll(timeout_ms=2000):
        for records in batch.values():
            for record in records:
                handle(record)


def swallows_the_crash(consumer, handle) -> None:
    while batch := consumer.poll(timeout_ms=2000):
        for records in batch.values():
            for record in records:
                with contextlib.suppress(Exception):  # the crash is hidden: that record is never handled
                    handle(record)
        consumer.commit()


def test_commit_after_processing(capsys) -> None:
    assert_verdicts(capsys, checks.check_commit_after_processing, process_and_commit,
                    commit_first, never_commits, swallows_the_crash)


@pytest.mark.parametrize(("answer", "says"), [
    (commit_first, "commit after handle(), never before"), (never_commits, "call consumer.commit()"),
    (swallows_the_crash, "let the error stop it"),
])
def test_commit_after_processing_says_what_is_wrong(capsys, answer, says) -> None:
    assert not checks.check_commit_after_processing(answer)
    assert says in capsys.readouterr().out


def test_a_commit_ahead_of_the_work_is_a_loss() -> None:
    handled = {(0, 0), (0, 1), (1, 0)}
    assert checks.lost_by_commit({0: 2, 1: 1}, handled) is None     # committed exactly what was handled
    assert checks.lost_by_commit({0: 1}, handled) is None           # behind the work: repeats, not a loss
    assert "offsets 1-2" in checks.lost_by_commit({0: 2, 1: 3}, handled)
