"""Faults injected into real brokers and real consumer processes, with exact counts.

Each test adds a row to the fault table printed at the end: how many times the fault was injected, and
events in / processed / redelivered / lost / duplicated (applied twice).
"""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pika
import pika.exceptions
import pytest
from kafka import KafkaConsumer, TopicPartition

from helpers import banking, config, kafka_io, rabbit_io, waiting
from helpers.projection import ApplyOnce

pytestmark = pytest.mark.live  # a native stack of its own, killed on purpose

HERE = Path(__file__).resolve().parent
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def history(count: int, accounts: int = 40, prefix: str = "ev") -> list[banking.Event]:
    """`count` events over `accounts` accounts: each account is created, then deposits (seeded, no randomness)."""
    events: list[banking.Event] = [banking.AccountCreated(f"{prefix}-{n:05d}", f"ACC-{n:03d}", START, f"owner {n}")
                                   for n in range(accounts)]
    for n in range(accounts, count):
        cents = 100 + (n * 7919) % 90_000
        events.append(banking.MoneyDeposited(f"{prefix}-{n:05d}", f"ACC-{n % accounts:03d}",
                                             START + timedelta(seconds=n), Decimal(cents) / 100))
    return events


def expected_balances(events: list[banking.Event]) -> dict[str, str]:
    """{account: balance} from folding the events once each."""
    return {account: str(state.balance) for account, state in sorted(banking.replay_all(events).items())}


class Worker:
    """A consumer script in its own process, its stdout lines read by a thread (so reading never blocks)."""

    def __init__(self, script: str, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=config.PROJECT_ROOT)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.put(line.strip())
        self.lines.put(None)

    def errors_and_close(self) -> str:
        """Once the process has ended: its stderr, after the reader reached the end of stdout; both pipes closed."""
        self.reader.join(timeout=30)
        errors = self.process.stderr.read()  # type: ignore[union-attr]
        self.process.stdout.close()  # type: ignore[union-attr]
        self.process.stderr.close()  # type: ignore[union-attr]
        return errors

    def kill_when(self, wanted, timeout_s: float = 180) -> str:
        """SIGKILL the process as soon as it prints a line for which wanted(fields) is true; return that line."""
        deadline = waiting.Deadline(timeout_s)
        while not deadline.passed():
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                self.process.wait(timeout=30)
                raise AssertionError(f"worker exited before the kill point:\n{self.errors_and_close()}")
            if wanted(line.split()):
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
                self.errors_and_close()
                assert self.process.returncode == -signal.SIGKILL
                return line
        self.process.kill()
        self.process.wait(timeout=30)
        self.errors_and_close()
        raise AssertionError(f"no kill point within {timeout_s} s")

    def finish(self, timeout_s: float = 300) -> None:
        """Wait for the worker to drain and exit by itself."""
        try:
            self.process.wait(timeout=timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=30)
        errors = self.errors_and_close()
        assert self.process.returncode == 0, errors


def projection_db(path: Path) -> tuple[set[str], dict[str, str], dict[str, int]]:
    """The processed ids, the balances and the stats of a projection database."""
    with sqlite3.connect(path) as db:
        ids = [row[0] for row in db.execute("SELECT event_id FROM processed")]
        balances = dict(sorted(db.execute("SELECT account_id, balance FROM balances")))
        stats = dict(db.execute("SELECT name, value FROM stats"))
    assert len(ids) == len(set(ids))
    return set(ids), balances, stats


# --------------------------------------------------------------------------------------------- Kafka


def test_a_brand_new_broker_resets_consumer_groups_without_error(spare_stack, fault_table):
    # First in this file, so it runs while the fault stack's Kafka has never seen a consumer group: the
    # broker answers FindCoordinator with COORDINATOR_NOT_AVAILABLE until it has created __consumer_offsets.
    # Every notebook's Setup calls reset_group; the first one on a fresh machine used to fail right there.
    kafka_io.reset_group("faults-fresh-a", "faults-fresh-b")  # raises TimeoutError on its own bound (15 s)
    assert kafka_io.committed_offsets("faults-fresh-a", "faults-none") == {}


def test_kafka_consumer_killed_mid_batch_three_times_loses_and_doubles_nothing(spare_stack, fault_table, tmp_path):
    events = history(10_000, prefix="k")
    topic, group = f"faults-projection-{uuid.uuid4().hex[:6]}", "faults-projection"
    kafka_io.reset_topics({topic: 3})
    with kafka_io.producer(acks="all", linger_ms=20) as producer:
        for event in events:
            producer.send(topic, key=event.account_id.encode(), value=banking.to_json(event).encode())
        producer.flush(timeout=60)
    db = tmp_path / "projection.sqlite"
    kills = []
    for threshold in (2_500, 5_000, 7_500):  # SIGKILL mid-batch: applied, but the batch's offsets not committed
        worker = Worker("kafka_projection.py", str(db), topic, group)
        kills.append(worker.kill_when(lambda f, t=threshold: f[0] == "progress" and int(f[3]) >= t
                                      and 0 < int(f[1]) < int(f[2])))
    Worker("kafka_projection.py", str(db), topic, group).finish()
    ids, balances, stats = projection_db(db)
    sent = {event.event_id for event in events}
    lost, extra = len(sent - ids), len(ids - sent)
    duplicated = sum(Decimal(balances.get(a, "0")) != Decimal(b) for a, b in expected_balances(events).items())
    fault_table.append({"fault": "Kafka consumer SIGKILL mid-batch", "injected": len(kills), "events in": len(events),
                        "processed": len(ids), "redelivered": stats["redelivered"], "lost": lost,
                        "duplicated": duplicated})
    assert (len(kills), stats["starts"]) == (3, 4)
    assert len(ids) == 10_000 and lost == 0 and extra == 0
    assert balances == expected_balances(events)  # an event applied twice would show in its account's balance
    assert duplicated == 0
    assert stats["redelivered"] >= 1, "the kills should have made Kafka redeliver applied records"


def read_topic(topic: str) -> Counter[bytes]:
    """Every record value of a topic, counted, read from the beginning to the end offsets."""
    ends = kafka_io.end_offsets(topic)
    counts: Counter[bytes] = Counter()
    with KafkaConsumer(bootstrap_servers=config.load().kafka_bootstrap_servers, enable_auto_commit=False,
                       request_timeout_ms=10_000, bootstrap_timeout_ms=10_000) as consumer:
        partitions = [TopicPartition(topic, p) for p in ends]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        deadline = waiting.Deadline(120)
        while any(consumer.position(tp) < ends[tp.partition] for tp in partitions):
            assert not deadline.passed(), "could not read the topic back"
            for records in consumer.poll(timeout_ms=500).values():
                counts.update(record.value for record in records)
    return counts


def test_kafka_broker_killed_during_production_keeps_every_acknowledged_event_once(spare_stack, fault_table):
    total, topic = 6_000, f"faults-broker-{uuid.uuid4().hex[:6]}"
    kafka_io.reset_topics({topic: 3})
    acked: set[bytes] = set()
    failed: dict[bytes, str] = {}
    producer = kafka_io.producer(acks="all", enable_idempotence=True, delivery_timeout_ms=240_000,
                                 max_block_ms=240_000, retries=2_147_483_647, linger_ms=5,
                                 reconnect_backoff_max_ms=1_000, request_timeout_ms=10_000)

    def produce() -> None:
        for n in range(total):
            value = f"k-{n:05d}".encode()
            future = producer.send(topic, key=str(n % 40).encode(), value=value)
            future.add_callback(lambda _meta, v=value: acked.add(v))
            future.add_errback(lambda error, v=value: failed.__setitem__(v, repr(error)))
            if n % 50 == 0:
                time.sleep(0.02)  # production spread over time, so the kill lands in the middle of it

    thread = threading.Thread(target=produce)
    thread.start()
    waiting.until(lambda: len(acked) >= 1_500 or not thread.is_alive(), 120, "production did not get going")
    assert thread.is_alive(), "production stopped before the kill"
    spare_stack.kill("kafka")
    acked_at_kill = len(acked)
    spare_stack.restart("kafka")  # same data folder: log recovery after the hard stop
    thread.join(timeout=300)
    producer.flush(timeout=240)
    producer.close()
    assert not thread.is_alive()
    counts = read_topic(topic)
    lost = len(acked - set(counts))
    duplicated = sum(count - 1 for count in counts.values() if count > 1)
    fault_table.append({"fault": "Kafka broker SIGKILL + restart while producing", "injected": 1,
                        "events in": total, "processed": len(counts), "redelivered": "-",
                        "lost": lost, "duplicated": duplicated})
    assert acked_at_kill < total, "the kill should land during production"
    assert not failed, f"{len(failed)} sends failed, e.g. {next(iter(failed.values()))}"
    assert len(acked) == total and lost == 0 and duplicated == 0
    assert set(counts) == {f"k-{n:05d}".encode() for n in range(total)}


# --------------------------------------------------------------------------------------------- RabbitMQ


def publish_confirmed(queue_name: str, events: list[banking.Event]) -> None:
    """Publish persistent messages to a durable queue, each confirmed by the broker."""
    channel = rabbit_io.open_channel()
    channel.confirm_delivery()
    channel.queue_declare(queue_name, durable=True)
    for event in events:
        channel.basic_publish("", queue_name, banking.to_json(event).encode(),
                              pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent))
    channel.connection.close()


def test_rabbitmq_consumer_killed_with_unacked_messages_three_times_loses_and_doubles_nothing(
        spare_stack, fault_table, tmp_path):
    events = history(3_000, prefix="r")
    queue_name = f"faults-ledger-{uuid.uuid4().hex[:6]}"
    publish_confirmed(queue_name, events)
    db = tmp_path / "ledger.sqlite"
    kills = []
    for threshold in (700, 1_400, 2_100):  # SIGKILL with applied-but-unacked messages outstanding
        worker = Worker("rabbit_ledger.py", str(db), queue_name)
        kills.append(worker.kill_when(lambda f, t=threshold: f[0] == "progress" and int(f[2]) >= t
                                      and int(f[1]) >= 10))
    Worker("rabbit_ledger.py", str(db), queue_name).finish()
    ids, balances, stats = projection_db(db)
    channel = rabbit_io.open_channel()
    left = rabbit_io.depth(channel, queue_name)
    rabbit_io.reset(channel, queues=[queue_name])
    channel.connection.close()
    sent = {event.event_id for event in events}
    lost = len(sent - ids)
    duplicated = sum(Decimal(balances.get(a, "0")) != Decimal(b) for a, b in expected_balances(events).items())
    fault_table.append({"fault": "RabbitMQ consumer SIGKILL, unacked", "injected": len(kills),
                        "events in": len(events), "processed": len(ids), "redelivered": stats["redelivered"],
                        "lost": lost, "duplicated": duplicated})
    assert len(kills) == 3 and left == 0
    assert len(ids) == 3_000 and ids == sent and lost == 0
    assert balances == expected_balances(events) and duplicated == 0
    assert stats["redelivered"] >= 3  # each kill left at least 10 applied-but-unacked messages
    assert stats["flagged"] >= stats["redelivered"]  # the broker marked them redelivered


def test_rabbitmq_broker_killed_while_publishing_loses_no_confirmed_message(spare_stack, fault_table):
    total, queue_name = 3_000, f"faults-durable-{uuid.uuid4().hex[:6]}"
    events = history(total, prefix="d")
    publish_confirmed(queue_name, [])  # declares the durable queue
    confirmed: list[str] = []
    errors: list[str] = []

    def publish() -> None:
        n, deadline = 0, waiting.Deadline(300)
        while n < total and not deadline.passed():
            try:
                channel = rabbit_io.open_channel()
                channel.confirm_delivery()
                while n < total:
                    channel.basic_publish("", queue_name, banking.to_json(events[n]).encode(),
                                          pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent))
                    confirmed.append(events[n].event_id)  # basic_publish returned: the broker confirmed it
                    n += 1
                channel.connection.close()
            except (pika.exceptions.AMQPError, ConnectionError) as error:
                errors.append(type(error).__name__)  # events[n] is unconfirmed: publish it again
                time.sleep(0.5)

    thread = threading.Thread(target=publish)
    thread.start()
    waiting.until(lambda: len(confirmed) >= 1_000 or not thread.is_alive(), 120, "publishing did not get going",
                  interval_s=0.02)
    assert thread.is_alive(), "publishing stopped before the kill"
    spare_stack.kill("rabbitmq")
    confirmed_at_kill = len(confirmed)
    spare_stack.restart("rabbitmq")
    thread.join(timeout=300)
    assert not thread.is_alive() and len(confirmed) == total
    channel = rabbit_io.open_channel()
    delivered = [banking.from_json(m.body)
                 for m in rabbit_io.drain(channel, queue_name, max_messages=total + 10, inactivity_timeout_s=3)]
    rabbit_io.reset(channel, queues=[queue_name])
    channel.connection.close()
    ledger = ApplyOnce()  # the idempotent handler: a second copy of an event is skipped
    for event in delivered:
        ledger.apply(event)
    received = {event.event_id for event in delivered}
    lost = len(set(confirmed) - received)
    duplicated = ledger.applied - len(received)
    fault_table.append({"fault": "RabbitMQ broker SIGKILL + restart while publishing", "injected": 1,
                        "events in": total, "processed": ledger.applied, "redelivered": ledger.duplicates,
                        "lost": lost, "duplicated": duplicated})
    assert confirmed_at_kill < total and errors, "the kill should land during publishing"
    assert lost == 0 and received == set(confirmed) and ledger.applied == total and duplicated == 0
    assert ledger.duplicates <= 1  # at most the message in flight at the kill: stored, unconfirmed, published again
    assert ledger.balances() == {a: s.balance for a, s in sorted(banking.replay_all(events).items())}


def test_poison_message_is_dead_lettered_after_the_retry_limit_without_holding_up_the_rest(spare_stack,
                                                                                           fault_table):
    limit, name = 3, f"faults-poison-{uuid.uuid4().hex[:6]}"
    dead = f"{name}.dead"
    good = history(60, accounts=10, prefix="p")
    poison = [b'{"type": "MoneyDeposited", "amount": "lots"}', b"\x00 not json at all"]
    channel = rabbit_io.open_channel()
    channel.confirm_delivery()
    channel.queue_declare(dead, durable=True)
    channel.queue_declare(name, durable=True, arguments={"x-dead-letter-exchange": "",
                                                         "x-dead-letter-routing-key": dead})
    bodies = [poison[0], *(banking.to_json(e).encode() for e in good[:30]), poison[1],
              *(banking.to_json(e).encode() for e in good[30:])]
    for body in bodies:
        channel.basic_publish("", name, body, pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent))
    channel.basic_qos(prefetch_count=10)
    projection, log = ApplyOnce(), []
    for method, properties, body in channel.consume(name, inactivity_timeout=2):
        if method is None:
            break
        attempt = int((properties.headers or {}).get(rabbit_io.RETRY_HEADER, 0)) + 1
        try:
            projection.apply(banking.from_json(body))
            log.append(("applied", body))
            channel.basic_ack(method.delivery_tag)
        except banking.MalformedEvent as error:
            if attempt < limit:  # retry later, behind the others, remembering why it failed
                headers = {rabbit_io.RETRY_HEADER: attempt, "x-last-error": f"MalformedEvent: {error}"}
                channel.basic_publish("", name, body, pika.BasicProperties(headers=headers, delivery_mode=2))
                channel.basic_ack(method.delivery_tag)
                log.append(("retried", body))
            else:  # the broker dead-letters it (x-death), with our reason in x-last-error
                channel.basic_reject(method.delivery_tag, requeue=False)
                log.append(("dead-lettered", body))
    channel.cancel()
    parked = rabbit_io.drain(channel, dead, max_messages=10, inactivity_timeout_s=2)
    left = rabbit_io.depth(channel, name)
    rabbit_io.reset(channel, queues=[name, dead])
    channel.connection.close()
    last_good = max(i for i, (what, _) in enumerate(log) if what == "applied")
    first_retry = min(i for i, (what, _) in enumerate(log) if what == "retried")
    second_attempt = [i for i, (what, body) in enumerate(log) if what != "applied"][len(poison)]
    fault_table.append({"fault": f"poison message (retry limit {limit}; {len(parked)} dead-lettered)",
                        "injected": len(poison),
                        "events in": len(bodies), "processed": projection.applied,
                        "redelivered": sum(what == "retried" for what, _ in log), "lost": 60 - projection.applied,
                        "duplicated": projection.duplicates})
    assert left == 0 and projection.applied == 60 and projection.duplicates == 0
    assert projection.balances() == {a: s.balance for a, s in sorted(banking.replay_all(good).items())}
    assert Counter(what for what, _ in log) == {"applied": 60, "retried": 2 * (limit - 1), "dead-lettered": 2}
    assert first_retry == 0 and last_good < second_attempt  # the good ones went past the poison, not after it
    assert sorted(m.body for m in parked) == sorted(poison)
    for message in parked:
        death = message.properties.headers["x-death"][0]
        assert (death["queue"], death["reason"], death["count"]) == (name, "rejected", 1)
        assert message.properties.headers[rabbit_io.RETRY_HEADER] == limit - 1
        assert message.properties.headers["x-last-error"].startswith("MalformedEvent: ")
