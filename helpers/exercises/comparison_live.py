"""A checker for notebook 09 that asks the live Kafka broker itself: a late auditor replays a topic as a new
consumer group and commits, and the topic still holds every record afterwards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from helpers import banking, kafka_io, workload
from helpers.exercises import Verdict, attempt, failed, passed

AUDIT_TOPIC, AUDIT_GROUP, AUDIT_RECORDS = "nb09-exercise-audit", "nb09-exercise-auditor", 60


def _fill_audit_topic() -> list[str]:
    """A fresh 3-partition topic holding the bank's first AUDIT_RECORDS events, keyed by account; their JSON."""
    kafka_io.reset_topics({AUDIT_TOPIC: 3})
    kafka_io.reset_group(AUDIT_GROUP)
    values = [banking.to_json(e) for e in workload.the_bank().events[:AUDIT_RECORDS]]
    with kafka_io.producer() as producer:
        for value in values:
            producer.send(AUDIT_TOPIC, key=banking.from_json(value).account_id.encode(), value=value.encode())
        producer.flush(timeout=30)
    return values


def _as_text(item: Any) -> str:
    """A returned value as text: a ConsumerRecord's value, bytes or str."""
    value = getattr(item, "value", item)
    return value.decode() if isinstance(value, bytes) else str(value)


def check_audit_from_the_start(answer: Callable[[str, str], Sequence[Any]]) -> Verdict:
    """Check audit(topic, group_id): read the whole topic as a new group, commit, return the values (on the broker)."""
    expected = _fill_audit_topic()
    ok, returned = attempt(answer, AUDIT_TOPIC, AUDIT_GROUP,
                           hint="kafka_io.consumer(topic, group_id=group_id, enable_auto_commit=False), "
                                "kafka_io.consume(...) up to the topic's end offsets, then commit()")
    if not ok:
        return Verdict(False)
    if not isinstance(returned, Sequence) or isinstance(returned, str | bytes):
        return failed("return a list of the records' values", "a list", type(returned).__name__)
    got = sorted(map(_as_text, returned))
    if got != sorted(expected):
        return failed(f"the topic holds {len(expected)} records and your function returned {len(got)} "
                      "(a new group starts where auto_offset_reset says: 'earliest' for the whole history; "
                      "read every partition, each record once)", len(expected), len(got))
    end, committed = kafka_io.end_offsets(AUDIT_TOPIC), kafka_io.committed_offsets(AUDIT_GROUP, AUDIT_TOPIC)
    if committed != end:
        return failed(f"you read all {len(expected)} records, but the group's committed offsets are not at the end "
                      "of every partition: call commit() after reading (with enable_auto_commit=False nothing "
                      "commits by itself)", end, committed)
    stored = int(kafka_io.offsets_table(AUDIT_TOPIC)["messages"].sum())
    if stored != len(expected):
        return failed(f"the topic should still hold all {len(expected)} records", len(expected), stored)
    return passed(f"Kafka itself says so: the group {AUDIT_GROUP} committed the end of all 3 partitions, and the "
                  f"topic still holds all {stored} records. Reading moved a bookmark; it deleted nothing.")
