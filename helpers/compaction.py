"""Reading a whole partition, and waiting (bounded, with progress) for Kafka's log cleaner.

    records = compaction.read_all("nb15-account-balances")          # offset 0 .. end, no group
    records, seconds = compaction.wait_until(topic, lambda records: len(records) <= 21)
    compaction.topic_configs("nb15-account-balances")               # {"cleanup.policy": "compact", ...}

The broker's log cleaner compacts a partition in the background: it looks for work every
`log.cleaner.backoff.ms` and never touches the active segment (the one being written). So a notebook
cannot know *when* compaction happens; it re-reads the partition until what it sees says it has.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.consumer.fetcher import ConsumerRecord
from tqdm import tqdm

from helpers import kafka_io


def read_all(topic: str, partition: int = 0, timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Every record still stored in one partition, from its first offset to its end offset now."""
    tp = TopicPartition(topic, partition)
    with kafka_io.consumer(group_id=None, enable_auto_commit=False) as reader:
        reader.assign([tp])
        reader.seek_to_beginning(tp)
        end = reader.end_offsets([tp])[tp]
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        while reader.position(tp) < end:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Kafka: read {len(records)} records of {topic}/{partition} "
                                   f"but not up to offset {end} within {timeout_s:g} s")
            for batch in reader.poll(timeout_ms=500).values():
                records.extend(record for record in batch if record.offset < end)
    return records


def wait_until(topic: str, condition: Callable[[list[ConsumerRecord]], bool], timeout_s: float = 120.0,
               partition: int = 0) -> tuple[list[ConsumerRecord], float]:
    """Re-read a partition until `condition(records)` holds; (records, seconds waited) or TimeoutError."""
    started = time.monotonic()
    with tqdm(desc=f"waiting for the log cleaner on {topic}", unit=" re-reads", mininterval=1.0,
              bar_format="{desc}: {n_fmt}{unit} in {elapsed}{postfix}") as progress:
        while not condition(records := read_all(topic, partition)):
            waited = time.monotonic() - started
            if waited > timeout_s:
                raise TimeoutError(f"Kafka: {topic} was not compacted within {timeout_s:g} s "
                                   f"({len(records)} records still stored); is the topic's cleanup.policy compact?")
            progress.set_postfix(records=len(records), waited_s=round(waited))
            progress.update()
            time.sleep(0.5)
        waited = time.monotonic() - started
        progress.set_postfix_str("the cleaner had already run at the first read" if progress.n == 0
                                 else f"done after {waited:.1f} s", refresh=False)
    return records, waited


def topic_configs(topic: str) -> dict[str, str]:
    """The configs the broker reports for a topic, as {name: value} (settings left at the default may be absent)."""
    with kafka_io.admin() as client:
        described = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    entries = described.get("topic", {}).get(topic, {})
    return {name: entry["value"] for name, entry in sorted(entries.items())}
