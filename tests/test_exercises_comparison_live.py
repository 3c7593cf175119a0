"""Notebook 09's live checker, on the running Kafka: a right answer passes, and wrong ones fail with the fix named."""

from __future__ import annotations

import pytest
from kafka import TopicPartition

from helpers import kafka_io
from helpers.exercises import comparison_live as checks
from tests.verdicts import assert_verdicts

pytestmark = pytest.mark.live


def read_all(topic: str, group_id: str, commit: bool = True, **options: object) -> list[bytes]:
    """Read up to the topic's end offsets as `group_id`; commit unless told not to."""
    held = sum(kafka_io.end_offsets(topic).values())
    with kafka_io.consumer(topic, group_id=group_id, enable_auto_commit=False, **options) as consumer:
        records = kafka_io.consume(consumer, max_records=held, timeout_s=5)
        if commit:
            consumer.commit()
    return [r.value for r in records]


def no_commit(topic: str, group_id: str) -> list[bytes]:
    """Reads everything but never commits: the group keeps no bookmark."""
    return read_all(topic, group_id, commit=False)


def from_latest(topic: str, group_id: str) -> list[bytes]:
    """A new group told to start at the end: it sees none of the history."""
    with kafka_io.consumer(topic, group_id=group_id, enable_auto_commit=False, auto_offset_reset="latest") as consumer:
        records = kafka_io.consume(consumer, max_records=1, timeout_s=2)
        consumer.commit()
    return [r.value for r in records]


def one_partition(topic: str, group_id: str) -> list[bytes]:
    """Reads partition 0 only."""
    partition = TopicPartition(topic, 0)
    with kafka_io.consumer(group_id=group_id, enable_auto_commit=False) as consumer:
        consumer.assign([partition])
        records = kafka_io.consume(consumer, max_records=kafka_io.end_offsets(topic)[0], timeout_s=5)
        consumer.commit()
    return [r.value for r in records]


def test_audit_from_the_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert_verdicts(capsys, checks.check_audit_from_the_start, read_all, no_commit, from_latest, one_partition,
                    lambda topic, group_id: read_all(topic, group_id) * 2)  # every record twice


def test_the_feedback_names_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert not checks.check_audit_from_the_start(no_commit)
    assert "call commit() after reading" in capsys.readouterr().out
    assert not checks.check_audit_from_the_start(from_latest)
    assert "'earliest' for the whole history" in capsys.readouterr().out
