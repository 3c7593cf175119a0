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


# --- 06.4: a dead-letter step -------------------------------------------------------------------

#: Three messages no consumer can parse, as section 5's buggy client sent them.
MALFORMED = (b"{not json", b'{"type": "MoneyPrinted", "event_id": "x", "account_id": "ACC-003"}',
             b'{"type": "MoneyDeposited", "event_id": "y", "account_id": "ACC-004"}')
DEAD_LETTER_HINT = ("try banking.from_json(record.value) and return the event; on MalformedEvent, producer.send() "
                    "the record's key and value to dead_letter_topic with headers reason and origin, and return None")


@dataclass(frozen=True)
class Parked:
    """A record as the checker read it back from the dead-letter topic."""

    key: bytes | None
    value: bytes
    headers: dict[str, str]


def dead_letter_input() -> list[tuple[bytes, bytes]]:
    """(key, value) of the exercise's seven messages: four of the bank's events with the malformed ones between."""
    good = [(e.account_id.encode(), banking.to_json(e).encode()) for e in workload.the_bank().events[20:24]]
    bad = [(b"ACC-001", value) for value in MALFORMED]
    return [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3]]


def fill_dead_letter_topics(topic: str, dead_letters: str) -> None:
    """The input topic with the seven messages (reused when it holds them), and an empty dead-letter topic."""
    with kafka_io.admin() as admin:
        exists = topic in admin.list_topics()
    messages = dead_letter_input()
    if not exists or kafka_io.end_offsets(topic) != {0: len(messages)}:
        kafka_io.reset_topics({topic: 1})
        with kafka_io.producer() as producer:
            for key, value in messages:
                producer.send(topic, key=key, value=value)
            producer.flush(timeout=10)
    kafka_io.reset_topics({dead_letters: 1})


def _read_all(topic: str) -> list[Any]:
    """Every record of a one-partition topic, from its start."""
    end = kafka_io.end_offsets(topic)[0]
    with kafka_io.consumer() as reader:
        reader.assign([TopicPartition(topic, 0)])
        reader.seek_to_beginning()
        return kafka_io.consume(reader, max_records=end, timeout_s=10) if end else []


def judge_dead_letters(records: list[Any], results: list[Any], parked: list[Parked]) -> str | None:
    """What is wrong with the answer's return values and the dead-letter topic's records, or None."""
    bad = [r for r in records if r.value in MALFORMED]
    for record, result in zip(records, results, strict=True):
        where = f"{record.topic}/{record.partition}/{record.offset}"
        if record.value in MALFORMED and result is not None:
            return f"the malformed record at {where} should return None once it is parked, not {result!r}"
        if record.value not in MALFORMED and getattr(result, "event_id", None) != banking.from_json(record.value).event_id:
            return f"the good record at {where} should come back as its parsed event, not {result!r}"
    if len(parked) != len(bad):
        return (f"the dead-letter topic holds {len(parked)} records, expected {len(bad)}: one copy of each malformed "
                "message, and no good event")
    for record, copy in zip(bad, parked, strict=True):
        where = f"{record.topic}/{record.partition}/{record.offset}"
        if (copy.key, copy.value) != (record.key, record.value):
            return f"the parked copy of {where} should keep its key and value unchanged, found {(copy.key, copy.value)!r}"
        if not copy.headers.get("reason", "").strip():
            return f"the parked copy of {where} needs a header 'reason' that says what was wrong"
        if copy.headers.get("origin") != where:
            return f"the parked copy of {where} needs a header 'origin' = {where!r}, found {copy.headers.get('origin')!r}"
    return None


def check_dead_letter_step(answer: Callable[[Any, Any, str], Any], topic: str, dead_letters: str) -> Verdict:
    """Feed park_or_apply(record, producer, dead_letter_topic) the seven messages; judge the dead-letter topic."""
    fill_dead_letter_topics(topic, dead_letters)
    records, results = _read_all(topic), []
    try:
        with kafka_io.producer() as producer:
            with time_limit():
                for record in records:
                    results.append(answer(record, producer, dead_letters))
            producer.flush(timeout=10)
    except NotImplementedError:
        return not_attempted(DEAD_LETTER_HINT)
    except TookTooLong as error:
        return failed(str(error))
    except Exception as error:  # the learner's bug, shown kindly rather than as a traceback
        return failed(f"your function raised {type(error).__name__} on record {len(results)}: {error} "
                      "(a malformed message must be parked, not raised)")
    parked = [Parked(r.key, r.value, {name: value.decode() for name, value in r.headers or []})
              for r in _read_all(dead_letters)]
    problem = judge_dead_letters(records, results, parked)
    if problem:
        return failed(problem)
    return passed(f"{len(records) - len(parked)} events applied, {len(parked)} malformed messages parked on the "
                  "dead-letter topic with their key, value, reason and origin: nothing stuck, nothing lost.")
