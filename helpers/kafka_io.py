"""Kafka boilerplate the notebooks share: clients that fail fast, fresh topics and groups, bounded
consumption, offsets and lag as tables.

    from helpers import kafka_io
    kafka_io.reset_topics({"nb05-transactions": 3})        # delete + recreate, wait until usable
    kafka_io.reset_group("nb05-fraud")                      # no committed offsets leak between runs
    producer = kafka_io.producer()                          # KafkaProducer, fails fast without Kafka
    consumer = kafka_io.consumer("nb05-transactions", group_id="nb05-fraud")
    records = kafka_io.consume(consumer, max_records=100, timeout_s=5)
    kafka_io.read_to_end("nb05-transactions", "read_committed")  # from the start to the end offsets, by position
    kafka_io.lag_table("nb05-fraud", "nb05-transactions")   # partition, committed, end_offset, lag

Helpers remove boilerplate only: the calls a lesson teaches (`send`, `poll`, `commit`, `seek`,
admin create/describe/delete) stay in the notebooks. Nothing here connects at import time; every
client factory first checks that Kafka answers and raises `clients.BrokerUnavailable` within seconds
(naming Kafka, the address and `make up`) when it does not.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import OffsetSpec
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    GroupIdNotFoundError,
    NonEmptyGroupError,
    NotCoordinatorError,
    TopicAlreadyExistsError,
    for_code,
)
from kafka.serializer import Deserializer
from kafka.serializer.wrapper import DeserializeWrapper

from helpers import clients, waiting

# The broker's smallest allowed session (group.min.session.timeout.ms defaults to 6 s): a consumer
# that vanishes without close() is noticed within seconds, not the default 45 s.
SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_INTERVAL_MS = 500
SETTLE_POLL_MS = 1000  # settle()'s polls: long enough for a group join to finish inside one
RESET_TIMEOUT_S = 30.0
RECREATE_RETRY_S = 0.1  # between creates that found the name still taken


def admin(**overrides: Any) -> KafkaAdminClient:
    """A KafkaAdminClient for the course's broker (fails fast when Kafka is down)."""
    return KafkaAdminClient(**{**clients.kafka_connection(), **overrides})


def producer(**overrides: Any) -> KafkaProducer:
    """A KafkaProducer for the course's broker (bytes in, bytes out; fails fast when Kafka is down)."""
    return KafkaProducer(**{**clients.kafka_connection(), "max_block_ms": clients.KAFKA_MAX_BLOCK_MS, **overrides})


def consumer(*topics: str, **overrides: Any) -> KafkaConsumer:
    """A KafkaConsumer subscribed to `topics`: earliest offset when nothing is committed, short session.

    A plain function given as `key_deserializer` or `value_deserializer` (e.g. `banking.from_json`) is wrapped
    in kafka-python's own `DeserializeWrapper`: 3.0 deprecates bare functions there.
    """
    defaults = {"auto_offset_reset": "earliest", "session_timeout_ms": SESSION_TIMEOUT_MS,
                "heartbeat_interval_ms": HEARTBEAT_INTERVAL_MS}
    options = {**clients.kafka_connection(), **defaults, **overrides}
    for key in ("key_deserializer", "value_deserializer"):
        if options.get(key) is not None and not isinstance(options[key], Deserializer):
            options[key] = DeserializeWrapper(options[key])
    return KafkaConsumer(*topics, **options)


def reset_topics(partitions: Mapping[str, int], configs: Mapping[str, str] | None = None,
                 timeout_s: float = RESET_TIMEOUT_S) -> dict[str, int]:
    """Delete and recreate each topic empty with its partition count; wait until all are usable."""
    names = list(partitions)
    spec = {name: {"num_partitions": count, "replication_factor": 1, "configs": dict(configs or {})}
            for name, count in partitions.items()}
    with admin() as client:
        recreate_topics(client, spec, timeout_s)
        client.wait_for_topics(names, timeout_ms=int(timeout_s * 1000))
        described = {topic["name"]: len(topic["partitions"]) for topic in client.describe_topics(names)}
    if described != dict(partitions):
        raise RuntimeError(f"Kafka: expected partitions {dict(partitions)}, the broker reports {described}")
    return dict(sorted(described.items()))


def recreate_topics(client: KafkaAdminClient, spec: Mapping[str, Mapping[str, Any]], timeout_s: float) -> None:
    """Delete the topics `spec` names, then create each as `spec` says, within `timeout_s`.

    A broker creates any topic a client asks about (`auto.create.topics.enable`, on by default), with one
    partition. So a client still open that asks for a topic between its delete and its create leaves a
    stand-in behind: the create then finds the name taken, and that stand-in is deleted again, never kept.
    """
    deadline, pending = waiting.Deadline(timeout_s), dict(spec)
    while True:
        _delete_and_wait(client, sorted(set(pending) & set(client.list_topics())), deadline.remaining())
        result = client.create_topics(pending, timeout_ms=clients.KAFKA_REQUEST_TIMEOUT_MS, raise_errors=False)
        refused = [topic for topic in result["topics"] if topic["error_code"]]
        for topic in refused:
            if (error := for_code(topic["error_code"])) is not TopicAlreadyExistsError:
                raise error(f"Kafka: could not create {topic['name']}: {topic.get('error_message')}")
        pending = {topic["name"]: pending[topic["name"]] for topic in refused}
        if not pending:
            return
        if not deadline.remaining():
            raise TimeoutError(f"Kafka: {sorted(pending)} came back each time it was deleted, for {timeout_s:g} s: "
                               "a client still open keeps asking for it, and the broker creates any topic a client "
                               "asks for. Close that client (or restart the kernel), then re-run this cell")
        time.sleep(RECREATE_RETRY_S)  # or the controller still holds the deleted topic for a moment


def delete_topics(names: Iterable[str], timeout_s: float = RESET_TIMEOUT_S) -> list[str]:
    """Delete the named topics that exist and wait until they are gone; return them, sorted."""
    with admin() as client:
        existing = sorted(set(client.list_topics()) & set(names))
        _delete_and_wait(client, existing, timeout_s)
    return existing


def _delete_and_wait(client: KafkaAdminClient, names: list[str], timeout_s: float) -> None:
    """Delete the named topics (one already gone is no error) and wait until the broker lists none of them."""
    if names:
        client.delete_topics(names, timeout_ms=clients.KAFKA_REQUEST_TIMEOUT_MS, raise_errors=False)
        waiting.until(lambda: not set(client.list_topics()) & set(names), timeout_s,
                      f"Kafka: deleting {names} did not finish")


#: Group-coordinator errors that pass by themselves (e.g. on a brand-new broker): reset_group waits them out.
COORDINATOR_NOT_READY = (CoordinatorNotAvailableError, CoordinatorLoadInProgressError, NotCoordinatorError)
WAIT_FOR = {NonEmptyGroupError.__name__, *(error.__name__ for error in COORDINATOR_NOT_READY)}


def reset_group(*groups: str, timeout_s: float = 15.0) -> None:
    """Forget the committed offsets of consumer groups (a group with live members is waited for)."""
    pending, result = list(groups), dict[str, str]()

    def deleted(client: KafkaAdminClient) -> bool:
        nonlocal pending, result
        try:
            result = client.delete_groups(pending)
        except COORDINATOR_NOT_READY as error:  # a new broker creates its offsets topic on first use
            result = {group: type(error).__name__ for group in pending}
        pending = [group for group, outcome in result.items() if outcome not in ("OK", GroupIdNotFoundError.__name__)]
        if any(result[group] not in WAIT_FOR for group in pending):
            raise RuntimeError(f"Kafka: could not delete consumer groups: {result}")
        return not pending

    def why() -> str:
        if NonEmptyGroupError.__name__ in result.values():
            return (f"Kafka: groups {pending} still have members (a consumer left open by an interrupted cell or "
                    "another kernel keeps heartbeating): close it, or restart the kernel and re-run from the Setup cell "
                    "down to this cell (a restarted kernel has lost the Setup's names). "
                    "They did not leave")
        return f"Kafka: groups {pending} have no coordinator (run `make status`, then re-run this cell). None came"

    with admin() as client:
        waiting.until(lambda: not pending or deleted(client), timeout_s, why, interval_s=0.2)


def consume(consumer: KafkaConsumer, max_records: int, timeout_s: float) -> list[ConsumerRecord]:
    """Poll until `max_records` records arrived or `timeout_s` passed; return them in arrival order.

    Each poll may wait for all the time left (it returns as soon as records arrive). kafka-python 3.0 can lose
    a group join that outlasts a poll: the consumer then holds no partitions and sends no heartbeats (seen in CI
    under load with 0.5 s polls; reproduced with 8 consumers polling every 0.2 s beside a CPU hog, 3 trials in
    10; none in 10 with one poll for the whole wait).
    """
    records: list[ConsumerRecord] = []
    deadline = waiting.Deadline(timeout_s)
    while len(records) < max_records:
        remaining_ms = int(deadline.remaining() * 1000)
        if remaining_ms <= 0:
            break
        batch = consumer.poll(timeout_ms=remaining_ms, max_records=max_records - len(records))
        for partition in sorted(batch, key=lambda tp: (tp.topic, tp.partition)):
            records.extend(batch[partition])
    return records


def read_to_end(topic: str, isolation_level: str = "read_uncommitted", timeout_s: float = 10.0) -> list[ConsumerRecord]:
    """Every record a reader with this isolation level gets from a topic, up to its end offsets now, by partition.

    It stops when the consumer's position reaches each partition's end offset, not after counting records: a
    transaction's commit or abort marker takes an offset that no consumer ever receives (and read_committed skips
    aborted records), so a reader waiting for as many records as the end offset says waits for records that never
    come. TimeoutError after `timeout_s`.
    """
    end = end_offsets(topic)
    partitions = [TopicPartition(topic, p) for p in end]
    records: list[ConsumerRecord] = []
    with consumer(isolation_level=isolation_level) as reader:
        reader.assign(partitions)
        reader.seek_to_beginning()

        def behind() -> dict[int, int]:
            return {tp.partition: reader.position(tp) for tp in partitions if reader.position(tp) < end[tp.partition]}

        deadline = waiting.Deadline(timeout_s)
        while behind():
            if deadline.passed():
                raise TimeoutError(f"Kafka: reading {topic} ({isolation_level}) stopped at positions {behind()} before "
                                   f"the end offsets {end} after {timeout_s:g} s (a transaction left open holds "
                                   "read_committed readers back until it ends): re-run the cell that writes it")
            for batch in reader.poll(timeout_ms=200).values():
                records.extend(batch)
    return sorted(records, key=lambda r: (r.partition, r.offset))


def settle(consumers: Sequence[KafkaConsumer], partitions: int, timeout_s: float = 30.0) -> dict[str, list[int]]:
    """Poll the members of one group until they share all partitions out; return who owns what.

    Forming a group takes a few polls, and a poll may fetch records. So that settling consumes nothing,
    each member is then rewound to its group's committed offsets (or to its reset policy where none).
    Members need `enable_auto_commit=False`: auto-commit would commit what those polls fetched.
    """
    if any(member.config["enable_auto_commit"] for member in consumers):
        raise ValueError("settle() needs consumers created with enable_auto_commit=False")
    for member in consumers:  # know the topics' partitions before joining, or the first assignment is empty
        for topic in member.subscription() or ():
            member.partitions_for_topic(topic)

    group = consumers[0].config["group_id"]

    def settled(client: KafkaAdminClient) -> bool:
        # Members poll at the same time, as separate services would: a join completes only when every
        # member has rejoined, so polling them one after another can keep the group rebalancing. Each poll
        # may take a second: kafka-python 3.0 can lose a join that outlasts its poll (with 0.2 s polls under
        # load, 3 trials in 10 left a consumer with no partitions; none with polls of 1 s or longer).
        with ThreadPoolExecutor(max_workers=len(consumers)) as pool:
            list(pool.map(lambda member: member.poll(timeout_ms=SETTLE_POLL_MS), consumers))
        owned = [tp for member in consumers for tp in member.assignment()]
        owners = sum(1 for member in consumers if member.assignment())
        if not (owners == min(len(consumers), partitions) and len(owned) == len(set(owned)) == partitions):
            return False
        # An early generation may hold only some members (each then owning a partition): wait until the
        # broker's stable group has every member, with the assignments the members themselves hold.
        described = client.describe_groups([group])[group]
        assigned = [m["member_assignment"] for m in described["members"]]
        if described["group_state"] != "Stable" or not all(isinstance(a, dict) for a in assigned):
            return False  # mid-rebalance: a member's assignment is not there yet (the admin gives a bare string)
        on_broker = sorted(sorted(p for a in m["assigned_partitions"] for p in a["partitions"]) for m in assigned)
        return on_broker == sorted(assignment(m) for m in consumers)

    with admin() as client:
        waiting.until(lambda: settled(client), timeout_s,
                      f"Kafka: {len(consumers)} consumers were not sharing {partitions} partitions", interval_s=0)
    for member in consumers:
        for tp in member.assignment():
            committed = member.committed(tp)
            if committed is not None:
                member.seek(tp, committed)
            elif member.config["auto_offset_reset"] == "latest":
                member.seek_to_end(tp)
            else:
                member.seek_to_beginning(tp)
    return {member.config["client_id"]: assignment(member)
            for member in sorted(consumers, key=lambda member: member.config["client_id"])}


def assignment(consumer: KafkaConsumer) -> list[int]:
    """The partition numbers a consumer currently owns, sorted."""
    return sorted(tp.partition for tp in consumer.assignment())


def end_offsets(topic: str) -> dict[int, int]:
    """{partition: offset the next record will get} for every partition of a topic."""
    return _list_offsets(topic, OffsetSpec.LATEST)


def _list_offsets(topic: str, spec: Any) -> dict[int, int]:
    """{partition: offset} for every partition of a topic, at the given OffsetSpec."""
    with admin() as client:
        count = len(client.describe_topics([topic])[0]["partitions"])
        found = client.list_partition_offsets({TopicPartition(topic, p): spec for p in range(count)})
    return {tp.partition: value.offset for tp, value in sorted(found.items(), key=lambda item: item[0].partition)}


def offsets_table(topic: str) -> pd.DataFrame:
    """One row per partition: first offset still stored, end offset, and how many messages that is."""
    first, end = _list_offsets(topic, OffsetSpec.EARLIEST), _list_offsets(topic, OffsetSpec.LATEST)
    rows = [{"partition": p, "first_offset": first[p], "end_offset": end[p], "messages": end[p] - first[p]}
            for p in sorted(end)]
    return pd.DataFrame(rows, columns=["partition", "first_offset", "end_offset", "messages"])


def committed_offsets(group: str, topic: str) -> dict[int, int]:
    """{partition: committed offset} of a consumer group on one topic (partitions never committed are left out)."""
    with admin() as client:
        found = client.list_group_offsets({group: None}).get(group, {})
    return {tp.partition: meta.offset for tp, meta in found.items() if tp.topic == topic and meta.offset >= 0}


def lag_table(group: str, topic: str) -> pd.DataFrame:
    """One row per partition: committed offset, end offset and lag (a partition never committed counts from its start)."""
    first, end = _list_offsets(topic, OffsetSpec.EARLIEST), end_offsets(topic)
    committed = committed_offsets(group, topic)
    rows = [{"partition": p, "committed": committed.get(p, first[p]), "end_offset": end[p]} for p in sorted(end)]
    table = pd.DataFrame(rows, columns=["partition", "committed", "end_offset"])
    table["lag"] = table["end_offset"] - table["committed"]
    return table
