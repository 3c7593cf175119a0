"""kafka_io.read_to_end on the live broker: it stops by position, so transaction markers and aborted records
(offsets no reader receives) never make it wait for records that do not exist."""

from __future__ import annotations

import pytest

from helpers import kafka_io

TOPIC = "test-kafka-io-read-to-end"


def values(topic: str, isolation_level: str, timeout_s: float = 30.0) -> list[tuple[int, bytes]]:
    """(partition, value) of every record read_to_end returns, in its order."""
    return [(r.partition, r.value) for r in kafka_io.read_to_end(topic, isolation_level, timeout_s=timeout_s)]


@pytest.fixture
def transactional_topic() -> str:
    """Two partitions: a committed transaction of three records, then an aborted one of two."""
    kafka_io.reset_topics({TOPIC: 2})
    with kafka_io.producer(transactional_id="test-read-to-end") as producer:
        producer.init_transactions()
        producer.begin_transaction()
        for partition, value in ((1, b"c1"), (0, b"c0"), (1, b"c2")):
            producer.send(TOPIC, value=value, partition=partition)
        producer.commit_transaction()
        producer.begin_transaction()
        for partition, value in ((0, b"a0"), (1, b"a1")):
            producer.send(TOPIC, value=value, partition=partition)
        producer.flush()
        producer.abort_transaction()
    return TOPIC


@pytest.mark.live
def test_the_end_offsets_count_markers_that_no_reader_receives(transactional_topic: str) -> None:
    assert sum(kafka_io.end_offsets(transactional_topic).values()) == 5 + 4  # 5 records, 2 markers per partition


@pytest.mark.live
def test_read_committed_gets_the_committed_records_by_partition(transactional_topic: str) -> None:
    assert values(transactional_topic, "read_committed") == [(0, b"c0"), (1, b"c1"), (1, b"c2")]


@pytest.mark.live
def test_read_uncommitted_gets_the_aborted_records_too(transactional_topic: str) -> None:
    assert values(transactional_topic, "read_uncommitted") == [(0, b"c0"), (0, b"a0"), (1, b"c1"), (1, b"c2"),
                                                               (1, b"a1")]


@pytest.mark.live
def test_an_empty_topic_reads_as_nothing() -> None:
    kafka_io.reset_topics({TOPIC: 1})
    assert values(TOPIC, "read_committed") == []


@pytest.mark.live
def test_an_open_transaction_ends_the_read_with_a_clear_error() -> None:
    kafka_io.reset_topics({TOPIC: 1})
    with kafka_io.producer(transactional_id="test-read-to-end-open") as producer:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(TOPIC, value=b"pending").get(timeout=10)
        try:
            with pytest.raises(TimeoutError, match=f"reading {TOPIC} \\(read_committed\\) stopped at positions"):
                kafka_io.read_to_end(TOPIC, "read_committed", timeout_s=2)
            assert values(TOPIC, "read_uncommitted") == [(0, b"pending")]
        finally:
            producer.abort_transaction()
    assert values(TOPIC, "read_committed") == []
