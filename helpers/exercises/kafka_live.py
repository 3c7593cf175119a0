"""Checkers that inspect the live Kafka broker (notebook 05): the learner writes the broker calls.

    from helpers.exercises import kafka_live
    kafka_live.check_keyed_producer(send_by_account)   # resets nb05-ex-keyed, runs the answer, reads the topic back
    kafka_live.check_commit_after_processing(process_and_commit)  # a crash mid-batch, a restart, then the offsets

Each checker owns its topic and group (it deletes and recreates them on every run) and hands the learner a
client. The keyed producer's records are read back through a consumer: how many arrived, their keys, their
partitions and their order. The committing consumer is crashed mid-batch and restarted, and the group's
committed offsets are read through the admin API after each run: a commit that ran ahead of the work is a loss.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from kafka import KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.serializer import SerializeWrapper

from helpers import banking, kafka_io, workload
from helpers.exercises import TookTooLong, Verdict, attempt, failed, not_attempted, passed, time_limit

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


# --- 05: commit after processing ------------------------------------------------------------------

COMMIT_TOPIC = COMMIT_GROUP = "nb05-ex-commits"
COMMIT_EVENTS = 60
#: handle() raises on this call (counting from 0) in the first run: the service crashes mid-batch.
CRASH_AT = 25
COMMIT_HINT = ("poll in a loop until a poll returns nothing; handle(record) for every record; "
               "then consumer.commit()")


class ServiceCrashed(Exception):
    """What the checker's handle() raises to play a crash in the middle of a batch."""


def _commit_topic() -> list[ConsumerRecord]:
    """Reset the exercise's topic and group, and fill the topic with the bank's first events, keyed by account."""
    kafka_io.reset_topics({COMMIT_TOPIC: KEYED_PARTITIONS})
    kafka_io.reset_group(COMMIT_GROUP)
    with kafka_io.producer() as producer:
        for event in workload.the_bank().events[:COMMIT_EVENTS]:
            producer.send(COMMIT_TOPIC, key=event.account_id.encode(), value=banking.to_json(event).encode())
        producer.flush()
    return read_back(COMMIT_TOPIC, KEYED_PARTITIONS)


def _member() -> Any:
    """A member of the exercise's group, already given its partitions (so a first poll finds records)."""
    member = kafka_io.consumer(COMMIT_TOPIC, group_id=COMMIT_GROUP, enable_auto_commit=False)
    kafka_io.settle([member], partitions=KEYED_PARTITIONS)
    return member


def _run(answer: Callable[[Any, Callable[[ConsumerRecord], None]], Any], handle: Callable[[ConsumerRecord], None]) -> str:
    """Run the answer on a fresh member: "returned", "crashed", or "stopped" after reporting a stub or an error."""
    member = _member()
    try:
        with time_limit():
            answer(member, handle)
        return "returned"
    except ServiceCrashed:
        return "crashed"
    except NotImplementedError:
        not_attempted(COMMIT_HINT)
    except TookTooLong as error:
        failed(f"{error} (stop when a poll returns no records)")
    except Exception as error:  # the learner's bug, shown kindly rather than as a traceback
        failed(f"your function raised {type(error).__name__}: {error}")
    finally:
        member.close()  # auto-commit is off: closing commits nothing
    return "stopped"


def lost_by_commit(committed: dict[int, int], handled: set[tuple[int, int]]) -> str | None:
    """A partition whose committed offset runs ahead of the records handled there, described; or None."""
    for partition, offset in sorted(committed.items()):
        done = sum(1 for p, _ in handled if p == partition)  # a partition is handled from offset 0, in order
        if offset > done:
            return (f"partition {partition}: the group committed offset {offset}, but only {done} of its records were "
                    f"handled before the crash, so offsets {done}-{offset - 1} would never be handled after a restart: "
                    "commit after handle(), never before")
    return None


def check_commit_after_processing(answer: Callable[[Any, Callable[[ConsumerRecord], None]], Any]) -> Verdict:
    """Run process_and_commit(consumer, handle) twice on the broker: a crash mid-batch, then a restart."""
    records = _commit_topic()
    handled: list[tuple[int, int]] = []

    def handle(record: ConsumerRecord) -> None:
        if crashing and len(handled) == CRASH_AT:
            raise ServiceCrashed(f"the service crashed while handling offset {record.offset} of partition {record.partition}")
        handled.append((record.partition, record.offset))

    crashing = True
    outcome = _run(answer, handle)
    if outcome == "stopped":
        return Verdict(False)
    if outcome == "returned":
        return failed(f"handle() raised on the record after {CRASH_AT} handled ones, and your function carried on: "
                      "let the error stop it, as a crash stops a service, so that record is handled after a restart")
    lost = lost_by_commit(kafka_io.committed_offsets(COMMIT_GROUP, COMMIT_TOPIC), set(handled))
    if lost:
        return failed(lost)
    crashing = False
    if _run(answer, handle) != "returned":
        return Verdict(False)
    missing = sorted({(r.partition, r.offset) for r in records} - set(handled))
    if missing:
        return failed(f"{len(missing)} records were never handled (the first: partition {missing[0][0]}, offset "
                      f"{missing[0][1]}): keep polling until a poll returns nothing")
    committed, end = kafka_io.committed_offsets(COMMIT_GROUP, COMMIT_TOPIC), kafka_io.end_offsets(COMMIT_TOPIC)
    if committed != end:
        return failed("after a full run the group should have committed the end of every partition: "
                      "call consumer.commit() once the records are handled", end, committed)
    return passed(f"the crash lost nothing: the restarted member resumed at the group's last commit, all "
                  f"{len(records)} events were handled (those after the last commit twice: at-least-once), and the "
                  "group ends committed at the end of every partition.")
