"""`make bench`: Kafka and RabbitMQ clients and the two event stores, measured side by side in one run.

    python -m tooling.bench                  # every benchmark, a table on stdout, a CSV under results/
    python -m tooling.bench --runs 3         # fewer repetitions

Each figure is the median of several runs with its spread (min-max); message sizes and counts are in the
table. Kafka topics and RabbitMQ queues are fresh per run (named `bench-...` / `bench....`) and deleted
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
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
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

    def cells(self) -> dict[str, str]:
        """The row as the table's text cells."""
        s = self.summary
        return {"group": self.group, "case": self.case, "median": human(s.median), "unit": self.unit,
                "min-max": f"{human(s.low)}-{human(s.high)}", "runs": str(s.runs), "workload": self.workload,
                "note": self.note}


COLUMNS = ("group", "case", "median", "unit", "min-max", "runs", "workload", "note")
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


def write_csv(rows: Sequence[Row], path: Path) -> Path:
    """Write the rows (raw numbers, not formatted) to a CSV file; return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group", "case", "median", "min", "max", "runs", "unit", "workload", "note"])
        for r in rows:
            writer.writerow([r.group, r.case, f"{r.summary.median:.6g}", f"{r.summary.low:.6g}",
                             f"{r.summary.high:.6g}", r.summary.runs, r.unit, r.workload, r.note])
    return path


def repeat(measure: Callable[[], float], runs: int) -> Summary:
    """Call `measure` `runs` times and summarise what it returned."""
    return summarise([measure() for _ in range(runs)])


# ---------------------------------------------------------------------------------------------------
# Measurements (need the live brokers). Clients are imported here so the pure parts import nothing heavy.

MESSAGE_BYTES = 200
PAYLOAD = (b'{"type":"MoneyWithdrawn","event_id":"evt-000000","account_id":"ACC-001","amount":"12.50",'
           b'"description":"card: coffee","occurred_at":"2026-01-01T08:00:00+00:00"}').ljust(MESSAGE_BYTES, b" ")


@dataclass(frozen=True)
class Counts:
    """How many messages or events each benchmark moves per run (sized for 2 cores, well under 5 minutes)."""

    flush_each: int = 200
    batched: int = 5_000
    rabbit_publish: int = 5_000
    rabbit_confirm_each: int = 500
    rabbit_consume: int = 2_000
    latency: int = 200
    store_appends: int = 200
    snapshot_events: int = 5_000


def _elapsed_rate(count: int, started: float) -> float:
    """Messages per second since `started` (a perf_counter value)."""
    return count / (time.perf_counter() - started)


# --- Kafka ---------------------------------------------------------------------------------------------

def kafka_python_produce(topic: str, count: int, flush_each: bool, **options: Any) -> float:
    """kafka-python: send `count` messages (flush after each, or once at the end); messages per second."""
    from helpers import kafka_io

    with kafka_io.producer(**options) as producer:
        producer.send(topic, PAYLOAD).get(timeout=10)  # connected and warmed up before the clock starts
        started = time.perf_counter()
        for _ in range(count):
            producer.send(topic, PAYLOAD)
            if flush_each:
                producer.flush()
        producer.flush()
        return _elapsed_rate(count, started)


def kafka_python_consume(topic: str, count: int) -> float:
    """kafka-python: read `count` messages from offset 0 of partition 0; messages per second."""
    from kafka import TopicPartition

    from helpers import kafka_io

    with kafka_io.consumer(max_poll_records=5000) as consumer:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        consumer.position(partition)
        started = time.perf_counter()
        got = len(kafka_io.consume(consumer, max_records=count, timeout_s=60))
        rate = _elapsed_rate(got, started)
    if got < count:
        raise RuntimeError(f"kafka-python consumer read {got} of {count} messages")
    return rate


def confluent_produce(topic: str, count: int, flush_each: bool, **options: Any) -> float:
    """confluent-kafka (librdkafka): the same workload as kafka_python_produce; messages per second."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": config.load().kafka_bootstrap_servers, **options})
    producer.produce(topic, PAYLOAD)
    producer.flush(10)
    started = time.perf_counter()
    for _ in range(count):
        while True:
            try:
                producer.produce(topic, PAYLOAD)
                break
            except BufferError:  # local queue full: let librdkafka deliver some first
                producer.poll(0.01)
        if flush_each:
            producer.flush(10)
    if producer.flush(30) != 0:
        raise RuntimeError("confluent-kafka could not deliver every message within 30 s")
    return _elapsed_rate(count, started)


def confluent_consume(topic: str, count: int) -> float:
    """confluent-kafka: read `count` messages from offset 0 of partition 0; messages per second."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": config.load().kafka_bootstrap_servers, "group.id": f"{topic}-c",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got, started, deadline = 0, time.perf_counter(), time.monotonic() + 60
    while got < count and time.monotonic() < deadline:
        got += sum(1 for m in consumer.consume(num_messages=min(5000, count - got), timeout=1.0) if not m.error())
    rate = _elapsed_rate(got, started)
    consumer.close()
    if got < count:
        raise RuntimeError(f"confluent-kafka consumer read {got} of {count} messages")
    return rate


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

    from helpers import rabbit_io

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
        rabbit_io.parameters(),
        on_open_callback=lambda conn: conn.channel(on_open_callback=on_channel),
        on_open_error_callback=lambda _conn, error: state.update(error=f"could not connect: {error}"),
        on_close_callback=lambda _conn, _reason: connection.ioloop.stop(),
    )
    timer = connection.ioloop.call_later(60, give_up)
    connection.ioloop.start()
    connection.ioloop.remove_timeout(timer)
    connection.ioloop.close()  # its wake-up socket pair, which pika leaves open otherwise
    if state["error"] or state["rate"] is None:
        raise RuntimeError(f"async confirms: {state['error'] or 'stopped early'}")
    channel = rabbit_io.open_channel()
    channel.queue_purge(queue)
    channel.connection.close()
    return state["rate"]


def rabbit_consume(queue: str, count: int, prefetch: int) -> float:
    """pika: fill the queue, then consume and ack `count` messages with a given prefetch; messages per second."""
    from helpers import rabbit_io

    channel = rabbit_io.open_channel()
    try:
        for _ in range(count):
            channel.basic_publish("", queue, PAYLOAD)
        rabbit_io.wait_for_depth(channel, queue, count, timeout_s=60)
        channel.basic_qos(prefetch_count=prefetch)
        started = time.perf_counter()
        got = len(rabbit_io.drain(channel, queue, max_messages=count, inactivity_timeout_s=5))
        rate = _elapsed_rate(got, started)
    finally:
        channel.connection.close()
    if got < count:
        raise RuntimeError(f"pika consumer read {got} of {count} messages")
    return rate


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


def _fresh(path: Path) -> Path:
    """Remove a SQLite file and its WAL companions; return the path."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path


def store_appends(folder: Path, count: int) -> float:
    """helpers.eventstore: one event per append (one transaction each), one stream; appends per second."""
    from helpers.eventstore import EventStore

    store = EventStore(_fresh(folder / "bench-eventstore.sqlite"))
    events = _bench_events(count)
    started = time.perf_counter()
    for version, one in enumerate(events):
        store.append("ACC-001", [one], expected_version=version)
    rate = _elapsed_rate(count, started)
    store.close()
    return rate


def store_replay(folder: Path, count: int) -> float:
    """helpers.eventstore: read every event and fold it (banking.replay); events per second."""
    from helpers import banking
    from helpers.eventstore import EventStore

    store = EventStore(_fresh(folder / "bench-eventstore-replay.sqlite"))
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
    app = _es_app(_fresh(folder / "bench-es-appends.sqlite"))
    account = BenchAccount(owner="Asha Patel")
    app.save(account)
    started = time.perf_counter()
    for _ in range(count):
        account.deposit(Decimal("1.00"))
        app.save(account)
    rate = _elapsed_rate(count, started)
    app.close()
    return rate


def es_replay(folder: Path, count: int, snapshot: bool) -> float:
    """eventsourcing: rebuild one aggregate of `count` events, from all events or from a snapshot; replays/s."""
    app = _es_app(_fresh(folder / f"bench-es-replay-{snapshot}.sqlite"), snapshots=snapshot)
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


def kafka_rows(runs: int, counts: Counts, topic: str, latency_topic: str) -> list[Row]:
    """kafka-python and confluent-kafka, the same workloads, and the ratios between them."""
    size = f"{MESSAGE_BYTES} B"
    batched = {"linger_ms": 5, "batch_size": 65536}
    python_cases = {
        "flush after every message, acks=all": (counts.flush_each, True, {}),
        "batched (linger 5 ms, 64 KiB), acks=all": (counts.batched, False, batched),
        "batched, acks=1 (no idempotence)": (counts.batched, False, {**batched, "acks": 1, "enable_idempotence": False}),
    }
    confluent_options = {
        "flush after every message, acks=all": {"linger.ms": 0},
        "batched (linger 5 ms, 64 KiB), acks=all": {"linger.ms": 5, "batch.size": 65536},
        "batched, acks=1 (no idempotence)": {"linger.ms": 5, "batch.size": 65536, "acks": 1,
                                             "enable.idempotence": False},
    }
    rows: list[Row] = []
    for case, (count, flush_each, options) in python_cases.items():
        summary = _measure(f"kafka-python {case}", lambda c=count, f=flush_each, o=options:
                           kafka_python_produce(topic, c, f, **o), runs)
        rows.append(Row("Kafka producer, kafka-python", case, "msg/s", summary, f"{count} x {size}"))
    rows.append(Row("Kafka consumer, kafka-python", "read from offset 0", "msg/s",
                    _measure("kafka-python consumer", lambda: kafka_python_consume(topic, counts.batched), runs),
                    f"{counts.batched} x {size}"))
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        print("  confluent-kafka is not installed: `pip install -e '.[bench]'` adds the ceiling", file=sys.stderr)
    else:
        for case, (count, flush_each, _) in python_cases.items():
            summary = _measure(f"confluent-kafka {case}", lambda c=count, f=flush_each, o=confluent_options[case]:
                               confluent_produce(topic, c, f, **o), runs)
            rows.append(Row("Kafka producer, confluent-kafka", case, "msg/s", summary, f"{count} x {size}"))
        rows.append(Row("Kafka consumer, confluent-kafka", "read from offset 0", "msg/s",
                        _measure("confluent-kafka consumer", lambda: confluent_consume(topic, counts.batched), runs),
                        f"{counts.batched} x {size}"))
        by_case = {(r.group.split(", ")[1], r.group.split(",")[0], r.case): r for r in rows}
        for kind in ("Kafka producer", "Kafka consumer"):
            for case in [c for (lib, k, c) in by_case if lib == "kafka-python" and k == kind]:
                rows.append(ratio_row("kafka-python / confluent-kafka", f"{kind}: {case}",
                                      by_case[("kafka-python", kind, case)], by_case[("confluent-kafka", kind, case)],
                                      "1.0 = as fast as librdkafka"))
    rows.extend(_latency_rows("Kafka", lambda: kafka_latency(latency_topic, counts.latency), runs, counts.latency))
    return rows


def rabbit_rows(runs: int, counts: Counts, queue: str, latency_queue: str) -> list[Row]:
    """pika: publish without confirms, a confirm per message, async confirms; consume by prefetch; latency."""
    size = f"{MESSAGE_BYTES} B"
    group = "RabbitMQ publish, pika"
    rows = [
        Row(group, "no confirms (until the queue holds all)", "msg/s",
            _measure("pika no confirms", lambda: rabbit_publish(queue, counts.rabbit_publish, False), runs),
            f"{counts.rabbit_publish} x {size}"),
        Row(group, "confirm per message (BlockingChannel)", "msg/s",
            _measure("pika confirm each", lambda: rabbit_publish(queue, counts.rabbit_confirm_each, True), runs),
            f"{counts.rabbit_confirm_each} x {size}"),
        Row(group, "async confirms, <= 500 unconfirmed (SelectConnection)", "msg/s",
            _measure("pika async confirms", lambda: rabbit_publish_async_confirms(queue, counts.rabbit_publish), runs),
            f"{counts.rabbit_publish} x {size}", "every message confirmed; acks may cover several tags"),
    ]
    for prefetch in (1, 500):
        rows.append(Row("RabbitMQ consume + ack, pika", f"prefetch {prefetch}", "msg/s",
                        _measure(f"pika consume prefetch {prefetch}",
                                 lambda p=prefetch: rabbit_consume(queue, counts.rabbit_consume, p), runs),
                        f"{counts.rabbit_consume} x {size}"))
    rows.extend(_latency_rows("RabbitMQ", lambda: rabbit_latency(latency_queue, counts.latency), runs, counts.latency))
    return rows


def store_rows(runs: int, counts: Counts, folder: Path) -> list[Row]:
    """The notebook-01 SQLite store vs eventsourcing on SQLite: appends, full replays, snapshots."""
    n, appends = counts.snapshot_events, counts.store_appends
    one_stream = f"1 stream of {n} events"
    rows = [
        Row("event store appends", "helpers.eventstore (notebook 01)", "appends/s",
            _measure("eventstore appends", lambda: store_appends(folder, appends), runs),
            f"{appends} x 1 event, 1 transaction each"),
        Row("event store appends", "eventsourcing on SQLite", "appends/s",
            _measure("eventsourcing appends", lambda: es_appends(folder, appends), runs),
            f"{appends} x 1 event, 1 transaction each"),
        Row("event store full replay", "helpers.eventstore (notebook 01)", "events/s",
            _measure("eventstore replay", lambda: store_replay(folder, n), runs), one_stream, "read + JSON + fold"),
    ]
    without = Row("eventsourcing rebuild", "without snapshot", "rebuilds/s",
                  _measure("eventsourcing no snapshot", lambda: es_replay(folder, n, snapshot=False), runs), one_stream)
    per_event = Summary(*(value * n for value in (without.summary.median, without.summary.low, without.summary.high)),
                        without.summary.runs)
    rows.append(Row("event store full replay", "eventsourcing on SQLite", "events/s", per_event, one_stream,
                    "= rebuilds/s without snapshot x events"))
    with_snapshot = Row("eventsourcing rebuild", "from a snapshot", "rebuilds/s",
                        _measure("eventsourcing snapshot", lambda: es_replay(folder, n, snapshot=True), runs), one_stream)
    rows += [without, with_snapshot, ratio_row("eventsourcing rebuild", "snapshot speed-up", with_snapshot, without)]
    return rows


def run(runs: int = 5, counts: Counts | None = None) -> list[Row]:
    """Every benchmark on fresh bench-* topics and queues, which are deleted afterwards."""
    import tempfile

    from helpers import kafka_io, rabbit_io

    counts = counts or Counts()
    tag = f"bench-{os.getpid()}"
    topic, latency_topic = f"{tag}-throughput", f"{tag}-latency"
    queue, latency_queue = f"bench.{os.getpid()}.throughput", f"bench.{os.getpid()}.latency"
    data_dir = config.load().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    kafka_io.reset_topics({topic: 1, latency_topic: 1})
    channel = rabbit_io.open_channel()
    for name in (queue, latency_queue):
        channel.queue_declare(name, durable=True)
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-", dir=data_dir) as folder:
            rows += kafka_rows(runs, counts, topic, latency_topic)
            rows += rabbit_rows(runs, counts, queue, latency_queue)
            rows += store_rows(runs, counts, Path(folder))
    finally:
        kafka_io.delete_topics([topic, latency_topic])
        if channel.is_closed:
            channel = rabbit_io.open_channel()
        rabbit_io.reset(channel, queues=[queue, latency_queue])
        channel.connection.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point: measure, print the table, write the CSV."""
    parser = argparse.ArgumentParser(prog="python -m tooling.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure (default 5)")
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
