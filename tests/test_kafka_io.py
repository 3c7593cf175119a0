"""helpers.kafka_io against the live broker (topics and groups named test-kafka-*), plus its pure parts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import InvalidConfigurationError
from kafka.structs import OffsetAndMetadata

from helpers import banking, kafka_io, projection, workload
from helpers.clients import BrokerUnavailable

TOPIC = "test-kafka-io"
GROUP = "test-kafka-io-group"
# Time bounds for a loaded 2-core machine: generous, yet well below what the bug each one guards against costs.
FAIL_FAST_S = 20  # a missing broker must not cost kafka-python's own 30 s bootstrap timeout
SLACK_S = 30  # how long a loaded machine may stall a call beyond what it was asked to wait


@pytest.fixture
def topic() -> str:
    """A fresh, empty three-partition topic and a group with nothing committed."""
    kafka_io.reset_topics({TOPIC: 3})
    kafka_io.reset_group(GROUP)
    return TOPIC


def produce(topic: str, count: int, keys: int = 6) -> None:
    """Send `count` small keyed records and wait until the broker has them all."""
    with kafka_io.producer() as producer:
        for i in range(count):
            producer.send(topic, key=f"ACC-{i % keys:03d}".encode(), value=f"{i}".encode())
        producer.flush(timeout=10)


@pytest.mark.live
def test_reset_topics_leaves_an_empty_topic_with_the_requested_partitions(topic: str) -> None:
    produce(topic, 25)
    assert kafka_io.offsets_table(topic)["messages"].sum() == 25
    assert kafka_io.reset_topics({topic: 4}) == {topic: 4}
    table = kafka_io.offsets_table(topic)
    assert table["partition"].tolist() == [0, 1, 2, 3]
    assert table["end_offset"].tolist() == [0, 0, 0, 0]


def ask_for_the_topic_before_each_create(monkeypatch, topic: str, times: int) -> list[set[int]]:
    """Before each of the first `times` creates, an open client asks for `topic`; the partitions each was told."""
    create, told = KafkaAdminClient.create_topics, list[set[int]]()

    def create_after_a_stray_request(client: KafkaAdminClient, new_topics, **options):
        if len(told) < times:
            with kafka_io.producer() as stray:  # a metadata request: the broker creates the topic it is asked about
                told.append(stray.partitions_for(topic))
        return create(client, new_topics, **options)

    monkeypatch.setattr(KafkaAdminClient, "create_topics", create_after_a_stray_request)
    return told


@pytest.mark.live
def test_reset_topics_deletes_the_stand_in_an_open_client_made_between_delete_and_create(topic, monkeypatch) -> None:
    told = ask_for_the_topic_before_each_create(monkeypatch, topic, times=1)
    assert kafka_io.reset_topics({topic: 3}) == {topic: 3}
    assert told == [{0}]  # the broker had made a one-partition stand-in, which the reset did not keep
    assert kafka_io.offsets_table(topic)["partition"].tolist() == [0, 1, 2]


@pytest.mark.live
def test_reset_topics_names_the_fix_when_an_open_client_keeps_bringing_the_topic_back(topic, monkeypatch) -> None:
    told = ask_for_the_topic_before_each_create(monkeypatch, topic, times=1_000)
    with pytest.raises(TimeoutError, match="a client still open keeps asking for it.*restart the kernel"):
        kafka_io.reset_topics({topic: 3}, timeout_s=2)
    assert len(told) >= 2 and all(partitions == {0} for partitions in told)


@pytest.mark.live
def test_reset_topics_passes_on_the_brokers_reason_when_it_refuses_the_topic(topic: str) -> None:
    with pytest.raises(InvalidConfigurationError, match="could not create test-kafka-io: Invalid value abc .*retention.ms"):
        kafka_io.reset_topics({topic: 1}, configs={"retention.ms": "abc"})


@pytest.mark.live
def test_offsets_table_counts_every_message_per_partition(topic: str) -> None:
    produce(topic, 30)
    table = kafka_io.offsets_table(topic)
    assert list(table.columns) == ["partition", "first_offset", "end_offset", "messages"]
    assert table["partition"].tolist() == [0, 1, 2]
    assert table["messages"].sum() == 30


@pytest.mark.live
def test_consume_stops_on_the_record_count(topic: str) -> None:
    produce(topic, 20)
    with kafka_io.consumer(topic, group_id=GROUP) as consumer:
        started = time.monotonic()
        records = kafka_io.consume(consumer, max_records=5, timeout_s=120)
        took = time.monotonic() - started
    assert len(records) == 5
    assert took < 120 - SLACK_S, "stopping on the count should not wait for the timeout"


@pytest.mark.live
def test_a_plain_function_as_value_deserializer_decodes_without_a_deprecation(topic: str) -> None:
    produce(topic, 3)  # pytest turns kafka-python's DeprecationWarning for a bare function into a failure
    with kafka_io.consumer(topic, group_id=GROUP, value_deserializer=lambda data: int(data) * 10) as consumer:
        records = kafka_io.consume(consumer, max_records=3, timeout_s=60)
    assert sorted(r.value for r in records) == [0, 10, 20]


@pytest.mark.live
def test_consume_stops_on_the_timeout_when_nothing_arrives(topic: str) -> None:
    with kafka_io.consumer(topic, group_id=GROUP) as consumer:
        started = time.monotonic()
        records = kafka_io.consume(consumer, max_records=5, timeout_s=1.5)
        took = time.monotonic() - started
    assert records == []
    assert 1.4 <= took < 1.5 + SLACK_S


@pytest.mark.live
def test_lag_table_after_producing_n_and_committing_m(topic: str) -> None:
    produce(topic, 30)
    ends = kafka_io.end_offsets(topic)
    committed = {p: end // 2 for p, end in ends.items()}
    with kafka_io.consumer(group_id=GROUP, enable_auto_commit=False) as consumer:
        consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in committed.items()})
    table = kafka_io.lag_table(GROUP, topic)
    assert list(table.columns) == ["partition", "committed", "end_offset", "lag"]
    assert table["partition"].tolist() == [0, 1, 2]
    assert table["committed"].tolist() == [committed[p] for p in range(3)]
    assert table["end_offset"].tolist() == [ends[p] for p in range(3)]
    assert table["lag"].sum() == 30 - sum(committed.values())


@pytest.mark.live
def test_lag_table_counts_an_uncommitted_group_from_the_start(topic: str) -> None:
    produce(topic, 12)
    table = kafka_io.lag_table(GROUP, topic)
    assert table["committed"].tolist() == [0, 0, 0]
    assert table["lag"].sum() == 12


@pytest.mark.live
def test_reset_group_forgets_committed_offsets(topic: str) -> None:
    produce(topic, 9)
    with kafka_io.consumer(topic, group_id=GROUP, enable_auto_commit=False) as consumer:
        assert len(kafka_io.consume(consumer, max_records=9, timeout_s=15)) == 9
        consumer.commit()
    assert sum(kafka_io.committed_offsets(GROUP, topic).values()) == 9
    kafka_io.reset_group(GROUP)
    assert kafka_io.committed_offsets(GROUP, topic) == {}


@pytest.mark.live
def test_settle_splits_the_partitions_between_two_members(topic: str) -> None:
    first = kafka_io.consumer(topic, group_id=GROUP, client_id="test-kafka-a", enable_auto_commit=False)
    second = kafka_io.consumer(topic, group_id=GROUP, client_id="test-kafka-b", enable_auto_commit=False)
    try:
        produce(topic, 30)
        owners = kafka_io.settle([first, second], partitions=3, timeout_s=30)
        assert owners == {"test-kafka-a": [0, 1], "test-kafka-b": [2]}  # range assignor, members sorted
        ends = kafka_io.end_offsets(topic)
        records = (kafka_io.consume(first, ends[0] + ends[1], timeout_s=10)
                   + kafka_io.consume(second, ends[2], timeout_s=10))
        assert len(records) == 30, "settling consumed nothing: every record is still read once"
        first.commit()
        second.commit()
        second.close()
        assert kafka_io.settle([first], partitions=3, timeout_s=30) == {"test-kafka-a": [0, 1, 2]}
        assert kafka_io.consume(first, 1, timeout_s=1) == [], "committed offsets moved with the partition"
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("factory", [kafka_io.admin, kafka_io.producer, lambda: kafka_io.consumer(TOPIC)])
def test_clients_fail_fast_with_the_fix_when_kafka_is_down(monkeypatch, factory) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as raised:
        factory()
    assert time.monotonic() - started < FAIL_FAST_S
    message = str(raised.value)
    assert "Kafka" in message and "127.0.0.1:1" in message and "make up" in message


def test_reset_topics_fails_fast_when_kafka_is_down(monkeypatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="make up"):
        kafka_io.reset_topics({TOPIC: 1})
    assert time.monotonic() - started < FAIL_FAST_S


# --- the idempotent consumer -----------------------------------------------------------------


def small_history() -> list[banking.Event]:
    """A short seeded history of four accounts."""
    return workload.generate(accounts=4, days=10, seed=7, start=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.live
def test_idempotent_consumer_over_kafka_applies_each_event_once(topic: str) -> None:
    events = small_history()
    with kafka_io.producer() as producer:
        for index, event in enumerate(events):
            for _ in range(2 if index % 4 == 0 else 1):  # a retrying producer sends some twice
                producer.send(topic, key=event.account_id.encode(), value=banking.to_json(event).encode())
        producer.flush(timeout=10)
    sent = sum(kafka_io.offsets_table(topic)["messages"])
    ledger = projection.ApplyOnce()
    with kafka_io.consumer(topic, group_id=GROUP, enable_auto_commit=False) as consumer:
        records = kafka_io.consume(consumer, max_records=sent, timeout_s=20)
        for record in records:
            ledger.apply(banking.from_json(record.value))
        consumer.commit()
    assert len(records) == sent
    assert ledger.applied == len(events)
    assert ledger.duplicates == sent - len(events) > 0
    expected = {account_id: account.balance for account_id, account in banking.replay_all(events).items()}
    assert ledger.balances() == dict(sorted(expected.items()))
