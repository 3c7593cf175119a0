"""`make bench`: Kafka and RabbitMQ clients and the two event stores, measured side by side in one run.

    python -m tooling.bench                  # every benchmark, a table on stdout, a CSV under results/
    python -m tooling.bench --runs 5         # more repetitions (default 3)

Each figure is the median of several runs with its spread (min-max); message sizes and counts are in the
table, and the `ratio` column sets each figure against its reference measured in the same run (librdkafka for
the Kafka clients, the client's own send() ceiling, no confirms for RabbitMQ, the disk's fsync rate and the
plain fold for the event stores). Throughput clocks start at the first record (steady state, not start-up). Kafka topics and RabbitMQ queues are fresh per run (named `bench-...` / `bench....`) and deleted
afterwards. The statistics and the table formatting are plain functions (unit-tested in tests/test_bench.py);
the measurements need the live brokers.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from helpers import config
from helpers.stats import Summary, percentile, summarise

RESULTS_DIR = config.PROJECT_ROOT / "results"


# ---------------------------------------------------------------------------------------------------
# Pure parts: statistics and formatting.


def human(value: float) -> str:
    """A number for a table: thousands separators, 3 significant digits below 100."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Row:
    """One line of the benchmark table."""

    group: str
    case: str
    unit: str
    summary: Summary
    workload: str
    note: str = ""
    ratio: str = ""

    def cells(self) -> dict[str, str]:
        """The row as the table's text cells."""
        s = self.summary
        return {"group": self.group, "case": self.case, "median": human(s.median), "unit": self.unit,
                "ratio": self.ratio, "min-max": f"{human(s.low)}-{human(s.high)}", "runs": str(s.runs),
                "workload": self.workload, "note": self.note}


COLUMNS = ("group", "case", "median", "unit", "ratio", "min-max", "runs", "workload", "note")
RIGHT_ALIGNED = {"median", "min-max", "runs"}


def format_table(rows: Sequence[Row]) -> str:
    """A fixed-width text table, one line per row, columns padded to their widest cell."""
    cells = [row.cells() for row in rows]
    widths = {c: max([len(c), *(len(r[c]) for r in cells)]) for c in COLUMNS}

    def line(values: dict[str, str]) -> str:
        return "  ".join(values[c].rjust(widths[c]) if c in RIGHT_ALIGNED else values[c].ljust(widths[c])
                         for c in COLUMNS).rstrip()

    header = line({c: c for c in COLUMNS})
    return "\n".join([header, "-" * len(header), *(line(r) for r in cells)])


def ratio_row(group: str, case: str, numerator: Row, denominator: Row, note: str = "") -> Row:
    """A row comparing two measured rows: the ratio of their medians (and of their extremes, as a range)."""
    a, b = numerator.summary, denominator.summary
    spread = Summary(a.median / b.median, a.low / b.high, a.high / b.low, min(a.runs, b.runs))
    return Row(group, case, "x", spread, "same workload", note)


def compared(row: Row, reference: Row, label: str) -> Row:
    """`row` with its ratio to a reference measured in the same run, e.g. "0.05x librdkafka"."""
    ratio = row.summary.median / reference.summary.median
    return replace(row, ratio=f"{ratio:.0f}x {label}" if ratio >= 10 else f"{ratio:.2g}x {label}")


def write_csv(rows: Sequence[Row], path: Path) -> Path:
    """Write the rows (raw numbers, not formatted) to a CSV file; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group", "case", "median", "min", "max", "runs", "unit", "workload", "note", "ratio"])
        for r in rows:
            writer.writerow([r.group, r.case, f"{r.summary.median:.6g}", f"{r.summary.low:.6g}",
                             f"{r.summary.high:.6g}", r.summary.runs, r.unit, r.workload, r.note, r.ratio])
    return path


def repeat(measure: Callable[[], float], runs: int) -> Summary:
    """Call `measure` `runs` times and summarise what it returned."""
    return summarise([measure() for _ in range(runs)])


def from_first_record(poll: Callable[[], int], count: int, timeout_s: float) -> tuple[float, float]:
    """Call `poll()` (it returns how many records it got) until `count` arrived: (records/s, start-up share).

    The clock starts when the first records arrive, and those are not counted: the rate is steady state.
    The start-up share is the time before them over the whole read, to show that it is small.
    """
    asked = time.perf_counter()
    deadline = time.monotonic() + timeout_s
    got = first_batch = 0
    while got < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"read {got} of {count} records within {timeout_s:g} s")
        arrived = poll()
        if arrived and not first_batch:
            first_at, first_batch = time.perf_counter(), arrived
        got += arrived
    ended = time.perf_counter()
    if got == first_batch:
        raise ValueError(f"all {count} records came in the first batch: read more to measure a rate")
    return (got - first_batch) / (ended - first_at), (first_at - asked) / (ended - asked)


# ---------------------------------------------------------------------------------------------------
# Measurements (need the live brokers). Clients are imported here so the pure parts import nothing heavy.

MESSAGE_BYTES = 200
PAYLOAD = (b'{"type":"MoneyWithdrawn","event_id":"evt-000000","account_id":"ACC-001","amount":"12.50",'
           b'"description":"card: coffee","occurred_at":"2026-01-01T08:00:00+00:00"}').ljust(MESSAGE_BYTES, b" ")


@cache
def bank_payloads(size: int = MESSAGE_BYTES) -> list[bytes]:
    """The seeded bank's events as JSON, each padded or cut to `size` bytes: realistic input for compression."""
    from helpers import banking, workload

    return [banking.to_json(e).encode().ljust(size, b" ")[:size] for e in workload.build(seed=42).events]


@dataclass(frozen=True)
class Counts:
    """How many messages or events each benchmark moves per run (sized for 2 cores, well under 5 minutes)."""

    flush_each: int = 200
    batched: int = 10_000  # kafka-python, per producer configuration
    librdkafka: int = 100_000  # confluent-kafka, per producer configuration
    per_send: int = 3_000  # send() calls timed into one batch (3,000 x ~270 B < 1 MB)
    consume: int = 100_000  # records read per consumer run, clock from the first record
    rabbit_publish: int = 5_000
    rabbit_confirm_each: int = 500
    rabbit_consume: int = 3_000
    latency: int = 200
    store_appends: int = 200
    snapshot_events: int = 5_000


def _elapsed_rate(count: int, started: float) -> float:
    """Messages per second since `started` (a perf_counter value)."""
    return count / (time.perf_counter() - started)


# --- Kafka ---------------------------------------------------------------------------------------------

def kafka_python_produce(topic: str, count: int, flush_each: bool, **options: Any) -> float:
    """kafka-python: send `count` of the bank's events (flush after each, or once at the end); messages/s."""
    from helpers import kafka_io

    payloads = bank_payloads()
    with kafka_io.producer(**options) as producer:
        producer.send(topic, PAYLOAD).get(timeout=10)  # connected and warmed up before the clock starts
        started = time.perf_counter()
        for n in range(count):
            producer.send(topic, payloads[n % len(payloads)])
            if flush_each:
                producer.flush()
        producer.flush()
        return _elapsed_rate(count, started)


def least_cost_us(call: Callable[[bytes], Any], count: int, chunks: int = 6) -> float:
    """Microseconds per `call(payload)`: `count` calls (whole chunks) timed in chunks; the least disturbed wins.

    The machine is shared: a chunk that another program interrupted says nothing about the client.
    """
    payloads, size = bank_payloads(), max(1, count // chunks)
    costs = []
    for chunk in range(chunks):
        started = time.perf_counter()
        for n in range(chunk * size, (chunk + 1) * size):
            call(payloads[n % len(payloads)])
        costs.append((time.perf_counter() - started) / size * 1e6)
    return min(costs)


def kafka_python_send_cost(topic: str, count: int) -> float:
    """kafka-python: microseconds per send() call into the producer's buffer, while nothing goes out."""
    from helpers import kafka_io

    with kafka_io.producer(linger_ms=60_000, batch_size=1_000_000) as producer:  # one batch, held back
        producer.send(topic, PAYLOAD)
        producer.flush()  # connected, metadata known
        cost = least_cost_us(lambda value: producer.send(topic, value), count)
        producer.flush()
    return cost


def kafka_python_consume(topic: str, count: int, **options: Any) -> tuple[float, float]:
    """kafka-python: read `count` records of partition 0 from offset 0: (records/s from the first, start-up share)."""
    from kafka import TopicPartition

    from helpers import kafka_io

    with kafka_io.consumer(**options) as consumer:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        consumer.position(partition)
        return from_first_record(lambda: sum(map(len, consumer.poll(timeout_ms=500).values())), count, 120)


def _confluent_producer(**options: Any) -> Any:
    """A confluent-kafka Producer for the course's broker."""
    from confluent_kafka import Producer

    return Producer({"bootstrap.servers": config.load().kafka_bootstrap_servers, **options})


def confluent_produce(topic: str, count: int, flush_each: bool, **options: Any) -> float:
    """confluent-kafka (librdkafka): the same workload as kafka_python_produce; messages per second."""
    payloads = bank_payloads()
    producer = _confluent_producer(**options)
    producer.produce(topic, PAYLOAD)
    producer.flush(10)
    started = time.perf_counter()
    for n in range(count):
        while True:
            try:
                producer.produce(topic, payloads[n % len(payloads)])
                break
            except BufferError:  # local queue full: let librdkafka deliver some first
                producer.poll(0.01)
        if flush_each:
            producer.flush(10)
    if producer.flush(30) != 0:
        raise RuntimeError("confluent-kafka could not deliver every message within 30 s")
    return _elapsed_rate(count, started)


def confluent_send_cost(topic: str, count: int) -> float:
    """confluent-kafka: microseconds per produce() call into librdkafka's queue, while nothing goes out."""
    producer = _confluent_producer(**{"linger.ms": 60_000, "batch.size": 1_000_000})
    producer.produce(topic, PAYLOAD)
    producer.flush(10)
    cost = least_cost_us(lambda value: producer.produce(topic, value), count)
    if producer.flush(30) != 0:
        raise RuntimeError("confluent-kafka could not deliver every message within 30 s")
    return cost


def confluent_consume(topic: str, count: int, batch: int = 10_000) -> tuple[float, float]:
    """confluent-kafka: read `count` records of partition 0 from offset 0: (records/s from the first, start-up)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": config.load().kafka_bootstrap_servers, "group.id": f"{topic}-c",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    try:
        return from_first_record(
            lambda: sum(1 for m in consumer.consume(num_messages=batch, timeout=0.5) if not m.error()), count, 60)
    finally:
        consumer.close()


def kafka_latency(topic: str, count: int) -> list[float]:
    """Milliseconds from send to a waiting consumer's poll, one message at a time (kafka-python)."""
    from kafka import TopicPartition

    from helpers import kafka_io

    samples = []
    with kafka_io.producer(linger_ms=0) as producer, kafka_io.consumer(fetch_max_wait_ms=100) as consumer:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_end(partition)
        consumer.position(partition)
        for _ in range(count):
            started = time.perf_counter()
            producer.send(topic, PAYLOAD, partition=0)
            producer.flush()
            if not kafka_io.consume(consumer, max_records=1, timeout_s=5):
                raise TimeoutError("a latency probe did not come back from Kafka within 5 s")
            samples.append((time.perf_counter() - started) * 1000)
    return samples


# --- RabbitMQ ------------------------------------------------------------------------------------------

def rabbit_publish(queue: str, count: int, confirm_each: bool) -> float:
    """pika BlockingChannel: publish `count` messages, with or without a confirm per message.

    Without confirms the clock stops when the queue holds them all (a publish alone proves nothing).
    """
    from helpers import rabbit_io

    channel = rabbit_io.open_channel()
    try:
        if confirm_each:
            channel.confirm_delivery()
        started = time.perf_counter()
        for _ in range(count):
            channel.basic_publish("", queue, PAYLOAD)
        rabbit_io.wait_for_depth(channel, queue, count, timeout_s=60)
        rate = _elapsed_rate(count, started)
        channel.queue_purge(queue)
        return rate
    finally:
        channel.connection.close()


def rabbit_publish_async_confirms(queue: str, count: int, window: int = 500) -> float:
    """pika SelectConnection: confirms arrive asynchronously; at most `window` publishes await theirs.

    This is what "confirms in batches" means here: the broker acknowledges (often several tags at once,
    `multiple=True`) while we keep publishing; every message is still confirmed before the clock stops.
    """
    from collections import deque

    import pika

    from helpers import clients, rabbit_io

    state: dict[str, Any] = {"published": 0, "outstanding": deque(), "error": None, "started": 0.0, "rate": None}

    def publish_more(channel: Any) -> None:
        while state["published"] < count and len(state["outstanding"]) < window:
            channel.basic_publish("", queue, PAYLOAD)
            state["published"] += 1
            state["outstanding"].append(state["published"])

    def on_confirm(frame: Any) -> None:
        method = frame.method
        if isinstance(method, pika.spec.Basic.Nack):
            state["error"] = f"broker nacked delivery tag {method.delivery_tag}"
        pending = state["outstanding"]
        if method.multiple:
            while pending and pending[0] <= method.delivery_tag:
                pending.popleft()
        else:
            pending.remove(method.delivery_tag)
        if state["published"] == count and not pending:
            state["rate"] = _elapsed_rate(count, state["started"])
            connection.close()
        else:
            publish_more(channel_holder[0])

    def on_channel(channel: Any) -> None:
        channel_holder.append(channel)
        channel.confirm_delivery(ack_nack_callback=on_confirm, callback=lambda _frame: start(channel))

    def start(channel: Any) -> None:
        state["started"] = time.perf_counter()
        publish_more(channel)

    def give_up() -> None:
        state["error"] = "timed out after 60 s"
        connection.close()

    channel_holder: list[Any] = []
    connection = pika.SelectConnection(
        clients.rabbitmq_parameters(),
        on_open_callback=lambda conn: conn.channel(on_open_callback=on_channel),
        on_open_error_callback=lambda _conn, error: state.update(error=f"could not connect: {error}"),
        on_close_callback=lambda _conn, _reason: connection.ioloop.stop(),
    )
    timer = connection.ioloop.call_later(60, give_up)
    connection.ioloop.start()
    connection.ioloop.remove_timeout(timer)
    connection.ioloop.close()  # releases the loop's wake-up socket pair
    if state["error"] or state["rate"] is None:
        raise RuntimeError(f"async confirms: {state['error'] or 'stopped early'}")
    channel = rabbit_io.open_channel()
    channel.queue_purge(queue)
    channel.connection.close()
    return state["rate"]


def rabbit_consume(queue: str, count: int, prefetch: int) -> tuple[float, float]:
    """pika: fill the queue, then consume and ack `count` messages: (messages/s from the first, start-up share)."""
    from helpers import rabbit_io

    channel = rabbit_io.open_channel()
    try:
        for _ in range(count):
            channel.basic_publish("", queue, PAYLOAD)
        rabbit_io.wait_for_depth(channel, queue, count, timeout_s=60)
        channel.basic_qos(prefetch_count=prefetch)
        inbox = channel.consume(queue, inactivity_timeout=5)

        def one() -> int:
            method, _properties, _body = next(inbox)
            if method is None:
                return 0
            channel.basic_ack(method.delivery_tag)
            return 1

        result = from_first_record(one, count, 60)
        channel.cancel()
        return result
    finally:
        channel.connection.close()


def rabbit_latency(queue: str, count: int) -> list[float]:
    """Milliseconds from basic_publish to a waiting consumer on another connection, one message at a time."""
    from helpers import rabbit_io

    sender, receiver = rabbit_io.open_channel(), rabbit_io.open_channel()
    samples = []
    try:
        inbox = receiver.consume(queue, auto_ack=True, inactivity_timeout=5)
        for _ in range(count):
            started = time.perf_counter()
            sender.basic_publish("", queue, PAYLOAD)
            if next(inbox)[0] is None:
                raise TimeoutError("a latency probe did not come back from RabbitMQ within 5 s")
            samples.append((time.perf_counter() - started) * 1000)
        receiver.cancel()
    finally:
        sender.connection.close()
        receiver.connection.close()
    return samples


# --- Event stores ----------------------------------------------------------------------------------------

def _bench_events(count: int) -> list[Any]:
    """An account opened, then `count - 1` deposits: one stream, ids evt-000001..."""
    from datetime import timedelta

    from helpers import banking

    at = datetime(2026, 1, 1, tzinfo=UTC)
    events: list[Any] = [banking.AccountCreated("evt-000001", "ACC-001", at, "Asha Patel")]
    for n in range(2, count + 1):
        events.append(banking.MoneyDeposited(f"evt-{n:06d}", "ACC-001", at + timedelta(seconds=n),
                                             Decimal("1.00"), "bench"))
    return events


def fsync_rate(folder: Path, count: int) -> float:
    """The disk's limit for one commit at a time: write 200 B and fsync, `count` times; fsyncs per second."""
    path = config.fresh_data_path("bench-fsync.probe", folder)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        started = time.perf_counter()
        for _ in range(count):
            os.write(descriptor, PAYLOAD)
            os.fsync(descriptor)
        return _elapsed_rate(count, started)
    finally:
        os.close(descriptor)
        path.unlink()


def store_appends(folder: Path, count: int, synchronous: str = "FULL") -> float:
    """helpers.eventstore: one event per append (one transaction each), one stream; appends per second."""
    from helpers.eventstore import EventStore

    store = EventStore(config.fresh_data_path("bench-eventstore.sqlite", folder), synchronous=synchronous)
    events = _bench_events(count)
    started = time.perf_counter()
    for version, one in enumerate(events):
        store.append("ACC-001", [one], expected_version=version)
    rate = _elapsed_rate(count, started)
    store.close()
    return rate


def store_append_many(folder: Path, count: int) -> float:
    """helpers.eventstore: `count` events in one transaction (append_many: group commit); events per second."""
    from helpers.eventstore import EventStore

    store = EventStore(config.fresh_data_path("bench-eventstore-many.sqlite", folder))
    events = _bench_events(count)
    started = time.perf_counter()
    store.append_many(events)
    rate = _elapsed_rate(count, started)
    store.close()
    return rate


def store_replay(folder: Path, count: int) -> float:
    """helpers.eventstore: read every event and fold it (banking.replay); events per second."""
    from helpers import banking
    from helpers.eventstore import EventStore

    store = EventStore(config.fresh_data_path("bench-eventstore-replay.sqlite", folder))
    store.append("ACC-001", _bench_events(count), expected_version=0)
    started = time.perf_counter()
    state = banking.replay(store.read_stream("ACC-001"))
    rate = _elapsed_rate(count, started)
    store.close()
    if state is None or state.version != count:
        raise RuntimeError("the replayed state does not hold every event")
    return rate


class BenchAccount(Aggregate):
    """A minimal eventsourcing account for the store benchmarks: an owner and a balance."""

    @event("Opened")
    def __init__(self, owner: str) -> None:
        self.owner, self.balance = owner, Decimal("0.00")

    @event("Deposited")
    def deposit(self, amount: Decimal) -> None:
        self.balance += amount


def _es_app(path: Path, snapshots: bool = False) -> Any:
    """An eventsourcing Application on a SQLite file."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    if snapshots:
        env["IS_SNAPSHOTTING_ENABLED"] = "y"
    return Application(env=env)


def _es_account(app: Any, count: int) -> Any:
    """A BenchAccount with `count` events, created and saved in one transaction."""
    account = BenchAccount(owner="Asha Patel")
    for _ in range(count - 1):
        account.deposit(Decimal("1.00"))
    app.save(account)
    return account.id


def es_appends(folder: Path, count: int) -> float:
    """eventsourcing on SQLite: one event per save (one transaction each); appends per second."""
    app = _es_app(config.fresh_data_path("bench-es-appends.sqlite", folder))
    account = BenchAccount(owner="Asha Patel")
    app.save(account)
    started = time.perf_counter()
    for _ in range(count):
        account.deposit(Decimal("1.00"))
        app.save(account)
    rate = _elapsed_rate(count, started)
    app.close()
    return rate


def es_one_save(folder: Path, count: int) -> float:
    """eventsourcing on SQLite: an aggregate with `count` new events saved at once (one transaction); events/s."""
    app = _es_app(config.fresh_data_path("bench-es-one-save.sqlite", folder))
    started = time.perf_counter()
    _es_account(app, count)
    rate = _elapsed_rate(count, started)
    app.close()
    return rate


def es_replay(folder: Path, count: int, snapshot: bool) -> float:
    """eventsourcing: rebuild one aggregate of `count` events, from all events or from a snapshot; replays/s."""
    app = _es_app(config.fresh_data_path(f"bench-es-replay-{snapshot}.sqlite", folder), snapshots=snapshot)
    account_id = _es_account(app, count)
    if snapshot:
        app.take_snapshot(account_id)
    repeats = 200 if snapshot else 1
    started = time.perf_counter()
    for _ in range(repeats):
        state = app.repository.get(account_id)
    rate = _elapsed_rate(repeats, started)
    app.close()
    if state.version != count:
        raise RuntimeError("the rebuilt aggregate does not hold every event")
    return rate


# ---------------------------------------------------------------------------------------------------
# The run: every benchmark, one table.


def _versions() -> str:
    """Client library versions, for the header."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("kafka-python", "confluent-kafka", "pika", "eventsourcing"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _measure(label: str, measure: Callable[[], float], runs: int) -> Summary:
    """Repeat one measurement, saying on stderr what is being measured."""
    print(f"  {label} ...", file=sys.stderr, flush=True)
    return repeat(measure, runs)


def _latency_rows(broker: str, probe: Callable[[], list[float]], runs: int, count: int) -> list[Row]:
    """p50 and p99 rows: each run's percentile, summarised over the runs."""
    print(f"  {broker} latency ...", file=sys.stderr, flush=True)
    samples = [probe() for _ in range(runs)]
    work = f"{count} x {MESSAGE_BYTES} B, one at a time"
    return [Row("latency", f"{broker} send -> consumer, p{q}", "ms",
                summarise([percentile(s, q) for s in samples]), work) for q in (50, 99)]


def _measure_reads(label: str, measure: Callable[[], tuple[float, float]], runs: int) -> tuple[Summary, str]:
    """Repeat a read measured from its first record: the rates' summary, and a note on the largest start-up share."""
    print(f"  {label} ...", file=sys.stderr, flush=True)
    results = [measure() for _ in range(runs)]
    return summarise([rate for rate, _ in results]), f"left out: the wait for the 1st record, <= {max(s for _, s in results):.0%} of the read"


# kafka-python producer configurations; every one but the last two keeps the defaults' acks=all + idempotence.
TUNED = {"linger_ms": 20, "batch_size": 1_048_576}
KAFKA_PYTHON_PRODUCERS: dict[str, dict[str, Any]] = {
    "defaults (linger 0, 16 KiB batches)": {},
    "linger 20 ms, 1 MiB batches": TUNED,
    "linger 20 ms, 1 MiB, gzip": {**TUNED, "compression_type": "gzip"},
    "linger 20 ms, 1 MiB, lz4": {**TUNED, "compression_type": "lz4"},
    "linger 20 ms, 1 MiB, zstd": {**TUNED, "compression_type": "zstd"},
    "linger 20 ms, 1 MiB, max_in_flight 1": {**TUNED, "max_in_flight_requests_per_connection": 1},
    "linger 20 ms, 1 MiB, acks=1 (no idempotence)": {**TUNED, "acks": 1, "enable_idempotence": False},
}
LIBRDKAFKA_PRODUCERS: dict[str, dict[str, Any]] = {  # librdkafka's defaults: linger 5 ms, 1 MB batches
    "defaults + idempotence, acks=all": {"enable.idempotence": True},
    "defaults, acks=1": {"acks": 1},
}
KAFKA_PYTHON_CONSUMERS: dict[str, dict[str, Any]] = {
    "defaults (max_poll_records 500, fetch_min_bytes 1)": {},
    "max_poll_records 5000, fetch_min_bytes 64 KiB, 4 MiB per partition":
        {"max_poll_records": 5000, "fetch_min_bytes": 65_536, "max_partition_fetch_bytes": 4_194_304},
}


def _codec_missing(options: dict[str, Any]) -> str:
    """The package a compression codec needs when it is not installed ("" when it is, or none is asked)."""
    from kafka import codec

    needs = {"lz4": (codec.has_lz4, "lz4"), "zstd": (codec.has_zstd, "zstandard"),
             "snappy": (codec.has_snappy, "python-snappy")}
    check, package = needs.get(options.get("compression_type") or "", (lambda: True, ""))
    return "" if check() else package


def _fill(topic: str, count: int, have_librdkafka: bool) -> None:
    """Put `count` uncompressed bank events into partition 0 of `topic`, the fastest way installed."""
    print(f"  filling {topic} with {count:,} records ...", file=sys.stderr, flush=True)
    if have_librdkafka:
        confluent_produce(topic, count, False)
    else:
        kafka_python_produce(topic, count, False, **TUNED)


def kafka_producer_rows(runs: int, counts: Counts, topic: str, have_librdkafka: bool) -> list[Row]:
    """kafka-python's producer configurations and the cost of one send(), against librdkafka in the same run."""
    work, fast = f"{counts.batched:,} x {MESSAGE_BYTES} B", f"{counts.librdkafka:,} x {MESSAGE_BYTES} B"
    group, rows = "Kafka producer, kafka-python", []
    for case, options in KAFKA_PYTHON_PRODUCERS.items():
        if missing := _codec_missing(options):
            print(f"  skipped kafka-python {case}: `pip install {missing}` adds the codec", file=sys.stderr)
            continue
        rows.append(Row(group, case, "msg/s", _measure(f"kafka-python {case}", lambda o=options:
                        kafka_python_produce(topic, counts.batched, False, **o), runs), work))
    rows.append(Row(group, "flush after every message", "msg/s", _measure("kafka-python flush each", lambda:
                    kafka_python_produce(topic, counts.flush_each, True), runs), f"{counts.flush_each} x {MESSAGE_BYTES} B"))
    cost = Row("Kafka producer, one send()", "kafka-python send() into its buffer", "us/send",
               _measure("kafka-python send() cost", lambda: kafka_python_send_cost(topic, counts.per_send), runs),
               f"{counts.per_send:,} sends, nothing sent meanwhile", "the least disturbed of 6 chunks")
    ceiling = Row("Kafka producer, one send()", "kafka-python ceiling: 1 / cost of send()", "msg/s",
                  Summary(1e6 / cost.summary.median, 1e6 / cost.summary.high, 1e6 / cost.summary.low, cost.summary.runs),
                  "derived", "no configuration can beat this: every record costs one send()")
    rows += [cost, ceiling]
    if have_librdkafka:
        group = "Kafka producer, confluent-kafka"
        for case, options in LIBRDKAFKA_PRODUCERS.items():
            rows.append(Row(group, case, "msg/s", _measure(f"confluent-kafka {case}", lambda o=options:
                            confluent_produce(topic, counts.librdkafka, False, **o), runs), fast))
        rows.append(Row(group, "flush after every message", "msg/s", _measure("confluent-kafka flush each", lambda:
                        confluent_produce(topic, counts.flush_each, True, **{"enable.idempotence": True}), runs),
                        f"{counts.flush_each} x {MESSAGE_BYTES} B"))
        rows.append(Row("Kafka producer, one send()", "librdkafka produce() into its queue", "us/send",
                        _measure("confluent-kafka produce() cost",
                                 lambda: confluent_send_cost(topic, counts.per_send), runs),
                        f"{counts.per_send:,} produce() calls, nothing sent meanwhile"))
    return _producer_ratios(rows)


def _producer_ratios(rows: list[Row]) -> list[Row]:
    """Every producer figure against its reference in the same run, and which limit binds kafka-python."""
    by = {(r.group, r.case): r for r in rows}
    python, rdk = "Kafka producer, kafka-python", "Kafka producer, confluent-kafka"
    ref_all, ref_one = by.get((rdk, "defaults + idempotence, acks=all")), by.get((rdk, "defaults, acks=1"))
    defaults = by[(python, "defaults (linger 0, 16 KiB batches)")]
    out = []
    for r in rows:
        if r.group == python and r.case == "flush after every message" and (rdk, r.case) in by:
            r = compared(r, by[(rdk, r.case)], "librdkafka flushing each")
        elif r.group == python and "acks=1" in r.case and ref_one:
            r = compared(r, ref_one, "librdkafka acks=1")
        elif r.group == python and r.unit == "msg/s" and ref_all:
            r = compared(r, ref_all, "librdkafka acks=all")
        elif r.group == python:
            r = compared(r, defaults, "kafka-python defaults")
        elif r.case.startswith("kafka-python ceiling") and ref_all:
            r = compared(r, ref_all, "librdkafka acks=all")
        out.append(r)
    acks_all = [r for r in rows if r.group == python and r.unit == "msg/s" and "flush" not in r.case
                and "acks=1" not in r.case]
    best = max(acks_all, key=lambda r: r.summary.median)
    ceiling = by[("Kafka producer, one send()", "kafka-python ceiling: 1 / cost of send()")]
    summary = "best kafka-python, acks=all"
    out.append(ratio_row(summary, f"{best.case} / defaults", best, defaults, "what tuning buys"))
    out.append(ratio_row(summary, f"{best.case} / its send() ceiling", best, ceiling,
                         "near 1: send() binds; far below: the rest of the client (its sender thread) binds"))
    if ref_all:
        share = best.summary.median / ref_all.summary.median
        out.append(ratio_row(summary, f"{best.case} / librdkafka acks=all", best, ref_all,
                             f"the broker took {1 / share:.0f}x more from librdkafka: the client binds, not the broker"))
    return out


def kafka_consumer_rows(runs: int, counts: Counts, topic: str, have_librdkafka: bool) -> list[Row]:
    """kafka-python's consumer settings against librdkafka: steady-state reads of the same records."""
    _fill(topic, counts.consume, have_librdkafka)
    work, rows = f"{counts.consume:,} x {MESSAGE_BYTES} B, clock from the 1st record", []
    for case, options in KAFKA_PYTHON_CONSUMERS.items():
        summary, note = _measure_reads(f"kafka-python consumer {case}", lambda o=options:
                                       kafka_python_consume(topic, counts.consume, **o), runs)
        rows.append(Row("Kafka consumer, kafka-python", case, "msg/s", summary, work, note))
    if have_librdkafka:
        summary, note = _measure_reads("confluent-kafka consumer", lambda: confluent_consume(topic, counts.consume), runs)
        reference = Row("Kafka consumer, confluent-kafka", "defaults", "msg/s", summary, work, note)
        rows = [compared(r, reference, "librdkafka") for r in rows] + [reference]
    return rows


def kafka_rows(runs: int, counts: Counts, topic: str, latency_topic: str, consume_topic: str) -> list[Row]:
    """kafka-python and confluent-kafka: producers, the cost of a send, consumers, latency."""
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        have_librdkafka = False
        print("  confluent-kafka is not installed: `pip install -e '.[bench]'` adds the ceiling", file=sys.stderr)
    else:
        have_librdkafka = True
    rows = kafka_producer_rows(runs, counts, topic, have_librdkafka)
    rows += kafka_consumer_rows(runs, counts, consume_topic, have_librdkafka)
    rows.extend(_latency_rows("Kafka", lambda: kafka_latency(latency_topic, counts.latency), runs, counts.latency))
    return rows


def rabbit_rows(runs: int, counts: Counts, queue: str, latency_queue: str) -> list[Row]:
    """pika: publish without confirms, a confirm per message, async confirms; consume by prefetch; latency."""
    size = f"{MESSAGE_BYTES} B"
    group = "RabbitMQ publish, pika"
    unconfirmed = Row(group, "no confirms (until the queue holds all)", "msg/s",
                      _measure("pika no confirms", lambda: rabbit_publish(queue, counts.rabbit_publish, False), runs),
                      f"{counts.rabbit_publish} x {size}", "the reference: the client and broker without confirms")
    rows = [unconfirmed] + [compared(row, unconfirmed, "no confirms") for row in [
        Row(group, "confirm per message (BlockingChannel)", "msg/s",
            _measure("pika confirm each", lambda: rabbit_publish(queue, counts.rabbit_confirm_each, True), runs),
            f"{counts.rabbit_confirm_each} x {size}"),
        Row(group, "async confirms, <= 500 unconfirmed (SelectConnection)", "msg/s",
            _measure("pika async confirms", lambda: rabbit_publish_async_confirms(queue, counts.rabbit_publish), runs),
            f"{counts.rabbit_publish} x {size}", "every message confirmed; acks may cover several tags"),
    ]]
    consumed = []
    for prefetch in (1, 50, 500):
        summary, note = _measure_reads(f"pika consume prefetch {prefetch}",
                                       lambda p=prefetch: rabbit_consume(queue, counts.rabbit_consume, p), runs)
        consumed.append(Row("RabbitMQ consume + ack, pika", f"prefetch {prefetch}", "msg/s", summary,
                            f"{counts.rabbit_consume} x {size}, clock from the 1st message", note))
    rows += [compared(row, consumed[-1], "prefetch 500") for row in consumed[:-1]] + consumed[-1:]
    rows.extend(_latency_rows("RabbitMQ", lambda: rabbit_latency(latency_queue, counts.latency), runs, counts.latency))
    return rows


def store_rows(runs: int, counts: Counts, folder: Path) -> list[Row]:
    """The notebook-01 SQLite store vs eventsourcing on SQLite: the fsync limit, commit policies, replays, snapshots."""
    n, appends = counts.snapshot_events, counts.store_appends
    one_stream, each = f"1 stream of {n} events", f"{appends} x 1 event, 1 transaction each"
    disk = Row("event store appends", "the disk: write 200 B + fsync", "fsyncs/s",
               _measure("fsync rate", lambda: fsync_rate(folder, appends), runs), f"{appends} fsyncs",
               "the limit of one durable commit at a time")
    full = Row("event store appends", "helpers.eventstore, synchronous=FULL", "appends/s",
               _measure("eventstore appends FULL", lambda: store_appends(folder, appends), runs), each,
               "an fsync per commit: the disk binds")
    many = Row("event store appends", "helpers.eventstore append_many (group commit)", "events/s",
               _measure("eventstore append_many", lambda: store_append_many(folder, n), runs),
               f"{n} events, 1 transaction")
    rows = [disk, compared(full, disk, "the fsync limit"),
            compared(Row("event store appends", "helpers.eventstore, synchronous=NORMAL", "appends/s",
                          _measure("eventstore appends NORMAL", lambda: store_appends(folder, appends, "NORMAL"), runs),
                          each, "no fsync per commit: safe from a process crash, not from a power cut"),
                     full, "FULL"),
            compared(many, full, "FULL, 1 per commit"),
            compared(Row("event store appends", "eventsourcing on SQLite, 1 event per save", "appends/s",
                         _measure("eventsourcing appends", lambda: es_appends(folder, appends), runs), each),
                     disk, "the fsync limit"),
            compared(Row("event store appends", "eventsourcing on SQLite, 1 save of many events", "events/s",
                         _measure("eventsourcing one save", lambda: es_one_save(folder, n), runs),
                         f"{n} events, 1 transaction"), many, "append_many")]
    fold = Row("event store full replay", "helpers.eventstore (notebook 01)", "events/s",
               _measure("eventstore replay", lambda: store_replay(folder, n), runs), one_stream,
               "read + JSON + plain fold: the reference")
    without = Row("eventsourcing rebuild", "without snapshot", "rebuilds/s",
                  _measure("eventsourcing no snapshot", lambda: es_replay(folder, n, snapshot=False), runs), one_stream)
    per_event = Summary(*(value * n for value in (without.summary.median, without.summary.low, without.summary.high)),
                        without.summary.runs)
    rows += [fold, compared(Row("event store full replay", "eventsourcing on SQLite", "events/s", per_event,
                                one_stream, "= rebuilds/s without snapshot x events"), fold, "plain fold")]
    with_snapshot = Row("eventsourcing rebuild", "from a snapshot", "rebuilds/s",
                        _measure("eventsourcing snapshot", lambda: es_replay(folder, n, snapshot=True), runs), one_stream)
    rows += [without, compared(with_snapshot, without, "without snapshot")]
    return rows


def run(runs: int = 3, counts: Counts | None = None) -> list[Row]:
    """Every benchmark on fresh bench-* topics and queues, which are deleted afterwards."""
    import tempfile

    from helpers import kafka_io, rabbit_io

    counts = counts or Counts()
    tag = f"bench-{os.getpid()}"
    topic, latency_topic, consume_topic = f"{tag}-throughput", f"{tag}-latency", f"{tag}-consume"
    queue, latency_queue = f"bench.{os.getpid()}.throughput", f"bench.{os.getpid()}.latency"
    data_dir = config.load().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    kafka_io.reset_topics({topic: 1, latency_topic: 1, consume_topic: 1})
    channel = rabbit_io.open_channel()
    for name in (queue, latency_queue):
        channel.queue_declare(name, durable=True)
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-", dir=data_dir) as folder:
            rows += kafka_rows(runs, counts, topic, latency_topic, consume_topic)
            rows += rabbit_rows(runs, counts, queue, latency_queue)
            rows += store_rows(runs, counts, Path(folder))
    finally:
        kafka_io.delete_topics([topic, latency_topic, consume_topic])
        if channel.is_closed:
            channel = rabbit_io.open_channel()
        rabbit_io.reset(channel, queues=[queue, latency_queue])
        channel.connection.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point: measure, print the table, write the CSV."""
    parser = argparse.ArgumentParser(prog="python -m tooling.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per figure (default 3)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"clients: {_versions()}")
    print(f"each figure: median of {args.runs} runs, min-max across them; messages of {MESSAGE_BYTES} bytes",
          flush=True)
    rows = run(args.runs)
    print()
    print(format_table(rows))
    path = write_csv(rows, RESULTS_DIR / f"bench-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv")
    print(f"\nwritten: {path.relative_to(config.PROJECT_ROOT)} | total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
