"""Checkers for notebook 06 (Kafka in the bank) that judge the learner's broker calls on the live broker.

The learner writes the consumer loop; the checker gives it a real consumer on a topic of the checker's
own, then asks the broker (the admin API's committed group offsets) what the loop left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from helpers import banking, kafka_io, workload
from helpers.exercises import TookTooLong, Verdict, failed, not_attempted, passed, time_limit

# --- 06.3: commit only what was handled ---------------------------------------------------------

#: The exercise topic holds the bank's first EVENTS events, keyed by account, over PARTITIONS partitions.
EVENTS, PARTITIONS = 20, 2
#: In the crash run, the checker's handle() raises on this record (the 8th handed to it).
CRASH_AT = 8
COMMIT_HINT = ("poll, call handle(record) for every record of the batch, then consumer.commit(); "
               "stop when max_records were handled or a poll returns nothing")

Offsets = dict[int, int]


class HandlerCrashed(Exception):
    """The checker's handle() failing mid-batch, as a service that crashes would."""


@dataclass(frozen=True)
class Run:
    """One run of the learner's loop: how it ended, what handle() saw, and what the broker then held."""

    outcome: str  # "returned" or "crashed"
    handled: tuple[tuple[int, int], ...]  # (partition, offset) of every record handled, in order
    committed: Offsets  # the group's committed offsets, from the admin API


def fill_topic(topic: str) -> Offsets:
    """Make `topic` hold exactly the exercise's records (reused when it already does); its end offsets."""
    with kafka_io.admin() as admin:
        exists = topic in admin.list_topics()
    if exists and sum(kafka_io.end_offsets(topic).values()) == EVENTS:
        return kafka_io.end_offsets(topic)
    kafka_io.reset_topics({topic: PARTITIONS})
    with kafka_io.producer() as producer:
        for event in workload.the_bank().events[:EVENTS]:
            producer.send(topic, key=event.account_id.encode(), value=banking.to_json(event).encode())
        producer.flush(timeout=10)
    return kafka_io.end_offsets(topic)


def run_loop(answer: Callable[[KafkaConsumer, Callable[[Any], None], int], Any], topic: str, group: str,
             crash_at: int | None) -> Run:
    """Give the answer a fresh group's consumer (auto-commit off) and a handle() that may crash; Run."""
    kafka_io.reset_group(group)
    handled: list[tuple[int, int]] = []

    def handle(record: Any) -> None:
        if crash_at is not None and len(handled) + 1 == crash_at:
            raise HandlerCrashed(f"handle() crashed on record {record.partition}/{record.offset}")
        handled.append((record.partition, record.offset))

    consumer = kafka_io.consumer(group_id=group, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    try:
        with time_limit():
            answer(consumer, handle, EVENTS)
        outcome = "returned"
    except HandlerCrashed:
        outcome = "crashed"
    finally:
        consumer.close(autocommit=False)
    return Run(outcome, tuple(handled), kafka_io.committed_offsets(group, topic))


def judge_clean(run: Run, end: Mapping[int, int]) -> str | None:
    """What is wrong with a run in which nothing crashed, or None."""
    if len(set(run.handled)) != sum(end.values()):
        return (f"your function handled {len(set(run.handled))} of the {sum(end.values())} records: keep polling "
                "until max_records were handled")
    if not run.committed:
        return "every record was handled but nothing was committed: call consumer.commit() after handling a batch"
    committed = {p: run.committed.get(p, 0) for p in end}
    if committed != dict(end):
        return (f"the group's committed offsets are {committed}, the topic ends at {dict(end)}: "
                "commit after the last batch too")
    return None


def judge_crash(run: Run) -> str | None:
    """What is wrong after the crash run: a committed offset past a record handle() never finished, or None."""
    handled = set(run.handled)
    for partition, offset in sorted(run.committed.items()):
        skipped = [o for o in range(offset) if (partition, o) not in handled]
        if skipped:
            return (f"handle() crashed on the {CRASH_AT}th record, yet the group committed offset {offset} on "
                    f"partition {partition}: record {partition}/{skipped[0]} was never handled, and a restarted "
                    "consumer would skip it (lost). Commit after handling, not before")
    return None


def check_commit_after_handling(answer: Callable[[KafkaConsumer, Callable[[Any], None], int], Any],
                                topic: str, group: str) -> Verdict:
    """Run handle_and_commit(consumer, handle, max_records) on the live broker, cleanly and with a crash."""
    end = fill_topic(topic)
    for crash_at in (None, CRASH_AT):
        try:
            run = run_loop(answer, topic, group, crash_at)
        except NotImplementedError:
            return not_attempted(COMMIT_HINT)
        except TookTooLong as error:
            return failed(f"{error} (stop when a poll returns nothing)")
        except Exception as error:  # the learner's bug, shown kindly rather than as a traceback
            return failed(f"your function raised {type(error).__name__}: {error}")
        problem = judge_clean(run, end) if crash_at is None else judge_crash(run)
        if crash_at is not None and run.outcome != "crashed":
            problem = problem or ("handle() raised on a record and your function carried on: let the crash "
                                  "propagate (a crashed service does not go on polling)")
        if problem:
            return failed(problem)
    return passed(f"after a clean run the group stands at the topic's end ({sum(end.values())} records); after "
                  "the crash every committed offset is covered by handled records, so a restart repeats work "
                  "but loses none: at-least-once.")
