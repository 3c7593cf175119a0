"""Checkers that inspect the live Kafka broker (notebook 05): the learner writes the broker calls.

    from helpers.exercises import kafka_live
    kafka_live.check_keyed_producer(send_by_account)   # resets nb05-ex-keyed, runs the answer, reads the topic back

The checker owns its topic (it deletes and recreates it on every run), hands the learner a producer, and then
reads every record back through a consumer: how many arrived, their keys, their partitions and their order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from kafka import KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.serializer import SerializeWrapper

from helpers import banking, kafka_io, workload
from helpers.exercises import Verdict, attempt, failed, passed

KEYED_TOPIC = "nb05-ex-keyed"
KEYED_PARTITIONS = 3
KEYED_EVENTS = 300
#: The checker's producer holds records back this long, as a busy one would: an answer must flush() before it returns.
HOLD_MS = 2_000


def keyed_events() -> list[banking.Event]:
    """The exercise's input: the first KEYED_EVENTS events of the bank's one history."""
    return list(workload.the_bank().events[:KEYED_EVENTS])


def _producer() -> KafkaProducer:
    """A producer with str keys and event values, holding records back for HOLD_MS."""
    return kafka_io.producer(key_serializer=SerializeWrapper(lambda key: None if key is None else key.encode()),
                             value_serializer=SerializeWrapper(lambda event: banking.to_json(event).encode()),
                             linger_ms=HOLD_MS)


def read_back(topic: str, partitions: int) -> list[ConsumerRecord]:
    """Every record now in the topic, partition by partition in offset order."""
    end = kafka_io.end_offsets(topic)
    with kafka_io.consumer() as reader:
        owned = [TopicPartition(topic, p) for p in range(partitions)]
        reader.assign(owned)
        reader.seek_to_beginning(*owned)
        records = kafka_io.consume(reader, max_records=sum(end.values()), timeout_s=10)
    return sorted(records, key=lambda r: (r.partition, r.offset))


def keyed_problem(records: Sequence[ConsumerRecord], events: Sequence[banking.Event]) -> str | None:
    """What is wrong with the records a keyed producer left in the topic, or None."""
    if not records:
        return ("no record reached the broker before your function returned: send() only queues a record, "
                "so call producer.flush() at the end")
    if len(records) < len(events):
        return (f"only {len(records)} of {len(events)} events reached the broker before your function returned: "
                "send every event, then call producer.flush()")
    if len(records) > len(events):
        return f"{len(records)} records for {len(events)} events: some events were sent more than once"
    account_of = {e.event_id: e.account_id for e in events}
    partitions_of: dict[str, set[int]] = defaultdict(set)
    order: dict[str, list[str]] = defaultdict(list)
    for record in records:
        event = banking.from_json(record.value)
        key = record.key.decode() if record.key is not None else None
        if key != account_of.get(event.event_id):
            return (f"{event.event_id} has the key {key!r}, expected its account id {account_of.get(event.event_id)!r}: "
                    "pass key=event.account_id to send()")
        partitions_of[key].add(record.partition)
        order[key].append(event.event_id)
    split = sorted(account for account, found in partitions_of.items() if len(found) > 1)
    if split:
        return (f"{split[0]}'s events are spread over partitions {sorted(partitions_of[split[0]])}: let the key choose "
                "the partition (do not pass partition=)")
    for account, ids in order.items():
        if ids != [e.event_id for e in events if e.account_id == account]:
            return f"{account}'s events are not in the order they happened: send them in the order given"
    return None


def check_keyed_producer(answer: Callable[[KafkaProducer, str, list[banking.Event]], Any]) -> Verdict:
    """Run send_by_account(producer, topic, events) against the broker, then inspect what the topic holds."""
    kafka_io.reset_topics({KEYED_TOPIC: KEYED_PARTITIONS})
    events = keyed_events()
    producer = _producer()
    try:
        ok, _ = attempt(answer, producer, KEYED_TOPIC, list(events),
                        hint="for each event: producer.send(topic, key=event.account_id, value=event); "
                             "then producer.flush()")
        if not ok:
            return Verdict(False)
        problem = keyed_problem(read_back(KEYED_TOPIC, KEYED_PARTITIONS), events)
    finally:
        producer.close()  # sends what an answer left unflushed: the check above has already judged without it
    if problem:
        return failed(problem)
    accounts = len({e.account_id for e in events})
    return passed(f"the broker holds all {len(events)} events keyed by account: each of the {accounts} accounts in "
                  "one partition, in the order its events happened.")
