"""Checkers for notebook 13 (Exactly-once, honestly): counting a dual write's damage, one transactional
consume-transform-produce step on the live broker, and what Kafka transactions cover."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kafka.errors import KafkaError

from helpers import banking, kafka_io, workload
from helpers.exercises import Verdict, attempt, failed, not_attempted, passed

# --- 13.1: lost, phantom and duplicated events ------------------------------------------------

DAMAGE_CASES: list[tuple[list[str], list[str]]] = [
    (["e1", "e2", "e3"], ["e1", "e2", "e3"]),                       # no damage
    (["e1", "e2", "e3", "e4"], ["e1", "e3"]),                       # two lost
    (["e1", "e2"], ["e1", "e9", "e2", "e8"]),                       # two phantoms
    (["e3", "e1", "e2"], ["e2", "e1", "e2", "e3", "e2", "e1"]),     # duplicates, each listed once, sorted
    (["e5", "e6"], ["e7", "e7", "e5"]),                             # a duplicated phantom, and a loss
    ([], []),                                                       # nothing happened
    (["e1"], []),                                                   # a crash before the only send
]


def _damage(committed: Sequence[str], published: Sequence[str]) -> dict[str, list[str]]:
    """The reference count: lost, phantom and duplicated ids, each sorted."""
    counts = Counter(published)
    return {"lost": sorted(set(committed) - set(published)), "phantom": sorted(set(published) - set(committed)),
            "duplicated": sorted(event_id for event_id, n in counts.items() if n > 1)}


def check_dual_write_damage(answer: Callable[[list[str], list[str]], dict[str, list[str]]]) -> Verdict:
    """Check damage(committed, published) -> {"lost": [...], "phantom": [...], "duplicated": [...]}."""
    for committed, published in DAMAGE_CASES:
        ok, actual = attempt(answer, list(committed), list(published),
                             hint="compare the two sets of ids both ways, and count the published ids with a Counter")
        if not ok:
            return Verdict(False)
        expected = _damage(committed, published)
        if actual != expected:
            return failed(f"dual_write_damage({committed}, {published}) is wrong", expected, actual)
    return passed("lost = in the database only, phantom = in Kafka only, duplicated = in Kafka more than once. "
                  "Only the last one can a consumer repair, by deduplicating.")


# --- 13.2: one transactional step against the live broker ------------------------------------

EX_PREFIX = f"nb13-{os.getpid()}-ex"  # this process's own names: another kernel, or the live test, has its own
EX_IN, EX_OUT, EX_GROUP, EX_TRANSACTIONAL_ID = (f"{EX_PREFIX}-{name}" for name in ("in", "out", "group", "step"))
EX_RECORDS = 10


class WatchedConsumer:
    """The consumer handed to an answer: every call passes through, and each direct offset commit is counted."""

    def __init__(self, consumer: Any) -> None:
        """Wrap `consumer`; no commit counted yet."""
        self._consumer, self.direct_commits = consumer, 0

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        """KafkaConsumer.commit, counted: offsets committed by the consumer are outside any transaction."""
        self.direct_commits += 1
        return self._consumer.commit(*args, **kwargs)

    def commit_async(self, *args: Any, **kwargs: Any) -> Any:
        """KafkaConsumer.commit_async, counted like commit."""
        self.direct_commits += 1
        return self._consumer.commit_async(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        """Every other attribute is the consumer's own."""
        return getattr(self._consumer, name)


def judge_step(expected: Sequence[bytes], output: Sequence[bytes], committed: Mapping[int, int],
               end: Mapping[int, int], direct_commits: int = 0) -> Verdict:
    """The verdict on what a read_committed reader and the group's committed offsets show after the step."""
    if direct_commits:
        return failed(f"consumer.commit() was called {direct_commits} time(s): offsets committed by the consumer are "
                      "a second write outside the transaction (a crash between the two reprocesses the records, "
                      "or skips them). Give the offsets to send_offsets_to_transaction and never commit them yourself")
    offsets_ok = dict(committed) == dict(end)
    if not output and not committed:
        return failed("nothing was committed: begin_transaction(), send, send_offsets_to_transaction(), "
                      "then commit_transaction()")
    if not output:
        return failed("the offsets were committed but no record is visible to read_committed: "
                      "send the records inside the transaction you commit")
    if sorted(output) != sorted(expected):
        extra = len(output) - len(set(output))
        why = f"{extra} record(s) appear twice" if extra else "the output is not the input's values"
        return failed(f"{why}: send each record's value once", f"{len(expected)} records", f"{len(output)} records")
    if not offsets_ok:
        short = all(committed.get(p) == end[p] - 1 for p in end if end[p])
        hint = " (one short: commit the offset of the NEXT record to read, record.offset + 1)" if short else ""
        return failed(f"the group's committed offsets do not stand after the records{hint}: "
                      "add {TopicPartition: OffsetAndMetadata(offset + 1, '', -1)} with send_offsets_to_transaction",
                      dict(end), dict(committed))
    return passed("output and offsets committed in one transaction: a crash before commit would have undone both, "
                  "and a restart would have processed the same records once more, invisibly to read_committed readers.")


def _prepare() -> tuple[list[bytes], dict[int, int]]:
    """Fresh input and output topics and group; the bank's first ten money movements in the input."""
    kafka_io.reset_topics({EX_IN: 2, EX_OUT: 1})
    kafka_io.reset_group(EX_GROUP)
    events = [e for e in workload.the_bank().events
              if isinstance(e, (banking.MoneyDeposited, banking.MoneyWithdrawn))][:EX_RECORDS]
    values = [banking.to_json(e).encode() for e in events]
    with kafka_io.producer() as producer:
        for e, value in zip(events, values, strict=True):
            producer.send(EX_IN, key=e.account_id.encode(), value=value)
    return values, kafka_io.end_offsets(EX_IN)


def _clean_up() -> None:
    """Delete this process's exercise topics and group: nothing of a check outlives it."""
    kafka_io.delete_topics([EX_IN, EX_OUT])
    kafka_io.reset_group(EX_GROUP)


def check_transactional_step(answer: Callable[[Any, Any, list, str], None]) -> Verdict:
    """Run step(producer, consumer, records, out_topic) on the live broker, then judge what it committed."""
    values, end = _prepare()
    try:
        with (kafka_io.consumer(EX_IN, group_id=EX_GROUP, enable_auto_commit=False,
                                isolation_level="read_committed") as consumer,
              kafka_io.producer(transactional_id=EX_TRANSACTIONAL_ID) as producer):
            producer.init_transactions()
            records = kafka_io.consume(consumer, max_records=EX_RECORDS, timeout_s=20)
            if len(records) != EX_RECORDS:
                raise RuntimeError(f"Kafka: the checker read {len(records)} of {EX_RECORDS} input records; re-run the cell")
            watched = WatchedConsumer(consumer)
            ok, _ = attempt(answer, producer, watched, records, EX_OUT,
                            hint="begin_transaction(), send each value, send_offsets_to_transaction(), commit_transaction()")
            with contextlib.suppress(KafkaError):  # KafkaError: nothing open, the answer committed or aborted
                producer.abort_transaction()  # whatever the answer left open is never committed by the checker
        if not ok:
            return Verdict(False)
        output = [r.value for r in kafka_io.read_to_end(EX_OUT, "read_committed")]
        return judge_step(values, output, kafka_io.committed_offsets(EX_GROUP, EX_IN), end, watched.direct_commits)
    finally:
        _clean_up()


# --- 13.4: covered or not ---------------------------------------------------------------------

COVERAGE: dict[str, tuple[bool, str]] = {
    "alert records written to an output topic": (True, "written in the transaction, visible only once committed"),
    "the input offsets sent with send_offsets_to_transaction": (True, "committed in the same transaction as the output"),
    "a row inserted into PostgreSQL by the same loop": (False, "its own transaction: use an outbox or an idempotent upsert"),
    "an SMS sent through a provider's HTTP API": (False, "sent again on a retry: pass an idempotency key"),
    "a message published to a RabbitMQ exchange": (False, "published again on a retry: dedupe by message id"),
}


def check_coverage(answer: Mapping[str, bool | None]) -> Verdict:
    """Check {effect: True if Kafka transactions make it exactly once}."""
    if not isinstance(answer, Mapping) or set(answer) != set(COVERAGE):
        return failed("keep the five effects as the keys of the dict", sorted(COVERAGE), sorted(answer or {}))
    if all(value is None for value in answer.values()):
        return not_attempted("Kafka's transaction covers what is written to Kafka, and nothing else")
    wrong = [effect for effect, (truth, _) in COVERAGE.items() if answer[effect] is not truth]
    if wrong:
        return failed(f"{len(wrong)} of {len(COVERAGE)} wrong: " + "; ".join(
            f"{effect} -> {COVERAGE[effect][0]} ({COVERAGE[effect][1]})" for effect in wrong[:1]))
    return passed("the transaction ends at Kafka's edge: records and offsets inside it are exactly once, "
                  "everything else needs an idempotent effect or an outbox.")
