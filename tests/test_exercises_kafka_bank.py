"""Notebook 06's broker exercises: the judges reject committed offsets past unhandled records and badly parked
messages; on the live broker the checkers pass the right loop and dead-letter step and fail the wrong ones."""

from __future__ import annotations

import contextlib
import os
from types import SimpleNamespace

import pytest
from verdicts import assert_verdicts

from helpers import banking, kafka_io
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


# --- the dead-letter step ---

def park_or_apply(record, producer, dead_letter_topic: str):
    try:
        return banking.from_json(record.value)
    except banking.MalformedEvent as error:
        producer.send(dead_letter_topic, key=record.key, value=record.value, headers=[
            ("reason", str(error).encode()), ("origin", f"{record.topic}/{record.partition}/{record.offset}".encode())])
        return None


def raises_on_poison(record, producer, dead_letter_topic: str):
    return banking.from_json(record.value)


def parks_without_headers(record, producer, dead_letter_topic: str):
    try:
        return banking.from_json(record.value)
    except banking.MalformedEvent:
        producer.send(dead_letter_topic, key=record.key, value=record.value)
        return None


def parks_everything(record, producer, dead_letter_topic: str):
    producer.send(dead_letter_topic, key=record.key, value=record.value, headers=[
        ("reason", b"suspicious"), ("origin", f"{record.topic}/{record.partition}/{record.offset}".encode())])
    return None


def drops_the_poison(record, producer, dead_letter_topic: str):
    try:
        return banking.from_json(record.value)
    except banking.MalformedEvent:
        return None  # skipped, and nobody will ever know


def wrong_origin(record, producer, dead_letter_topic: str):
    try:
        return banking.from_json(record.value)
    except banking.MalformedEvent as error:
        producer.send(dead_letter_topic, key=record.key, value=record.value, headers=[
            ("reason", str(error).encode()), ("origin", f"{record.topic}/{record.offset}".encode())])
        return None


def fake_record(offset: int, key: bytes, value: bytes) -> SimpleNamespace:
    return SimpleNamespace(topic="in", partition=0, offset=offset, key=key, value=value)


def test_dead_letter_judge_without_a_broker() -> None:
    records = [fake_record(i, key, value) for i, (key, value) in enumerate(checks.dead_letter_input())]
    results = [None if r.value in checks.MALFORMED else banking.from_json(r.value) for r in records]
    parked = [checks.Parked(r.key, r.value, {"reason": "bad", "origin": f"in/0/{r.offset}"})
              for r in records if r.value in checks.MALFORMED]
    assert checks.judge_dead_letters(records, results, parked) is None
    assert "holds 2 records, expected 3" in checks.judge_dead_letters(records, results, parked[:2])
    blank = [checks.Parked(p.key, p.value, {"reason": " ", "origin": p.headers["origin"]}) for p in parked]
    assert "header 'reason'" in checks.judge_dead_letters(records, results, blank)
    off_by_one = [checks.Parked(p.key, p.value, {"reason": "bad", "origin": "in/0/2"}) for p in parked]
    assert "header 'origin' = 'in/0/1'" in checks.judge_dead_letters(records, results, off_by_one)
    rekeyed = [checks.Parked(b"ACC-999", p.value, p.headers) for p in parked]
    assert "keep its key and value" in checks.judge_dead_letters(records, results, rekeyed)
    assert "should return None" in checks.judge_dead_letters(records, [r or "parked" for r in results], parked)
    assert "parsed event" in checks.judge_dead_letters(records, [None] * len(records), parked)


@pytest.mark.live
def test_dead_letter_step_on_the_broker(capsys, names) -> None:
    topic, _ = names
    dead_letters = f"{topic}-dead-letters"
    try:
        assert_verdicts(capsys, lambda answer: checks.check_dead_letter_step(answer, topic, dead_letters),
                        park_or_apply, raises_on_poison, parks_without_headers, parks_everything, drops_the_poison,
                        wrong_origin)
    finally:
        kafka_io.delete_topics([dead_letters])
    checks.check_dead_letter_step(raises_on_poison, topic, dead_letters)
    assert "must be parked, not raised" in capsys.readouterr().out
    kafka_io.delete_topics([dead_letters])
