"""Reading a partition whole and waiting for the log cleaner (live)."""

from __future__ import annotations

import time
import uuid

import pytest

from helpers import compaction, kafka_io

COMPACTED = {"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01"}


def _write(topic: str, keys: int, rounds: int) -> None:
    """`rounds` values for each of `keys` keys, then (after segment.ms) one more record to roll the segment."""
    with kafka_io.producer() as producer:
        for round_ in range(rounds):
            for key in range(keys):
                producer.send(topic, key=f"k{key}".encode(), value=f"{round_}".encode())
        producer.flush(timeout=10)
        time.sleep(0.3)
        producer.send(topic, key=b"k0", value=b"last")
        producer.flush(timeout=10)


@pytest.mark.live
def test_the_cleaner_keeps_the_latest_value_per_key() -> None:
    topic = f"test-compaction-{uuid.uuid4().hex[:8]}"
    kafka_io.reset_topics({topic: 1}, configs=COMPACTED)
    try:
        _write(topic, keys=5, rounds=40)
        assert len(compaction.read_all(topic)) <= 201
        records, _ = compaction.wait_until(topic, lambda records: len(records) <= 6, timeout_s=120)
        latest = {r.key: r.value for r in records}
        assert latest == {b"k0": b"last", **{f"k{k}".encode(): b"39" for k in range(1, 5)}}
        assert compaction.topic_configs(topic)["cleanup.policy"] == "compact"
    finally:
        kafka_io.delete_topics([topic])


@pytest.mark.live
def test_waiting_on_a_topic_that_is_not_compacted_times_out_with_the_reason() -> None:
    topic = f"test-compaction-{uuid.uuid4().hex[:8]}"
    kafka_io.reset_topics({topic: 1})
    try:
        _write(topic, keys=2, rounds=3)
        with pytest.raises(TimeoutError, match=r"not compacted within 2 s \(7 records still stored\).*cleanup.policy"):
            compaction.wait_until(topic, lambda records: len(records) <= 3, timeout_s=2)
    finally:
        kafka_io.delete_topics([topic])
