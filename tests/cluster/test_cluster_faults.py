"""Leaders killed three times while clients work: exact counts of what was acknowledged, found and lost."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pika
import pytest
from kafka import TopicPartition

from helpers import cluster_io, config
from tooling.stack import cluster

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("healthy_cluster")]
KILLS = 3


def wait_for_more(items: dict | set, more: int, what: str) -> None:
    """Wait (bounded) until `more` items were added to a growing collection."""
    floor = len(items) + more
    cluster_io.wait_until(lambda: len(items) >= floor, 120, f"{more} more {what}")


def kill_and_restart(node: str) -> None:
    """Crash a node, bring it back, and wait until the cluster is whole again."""
    cluster.kill(node)
    cluster.start(node)
    cluster.ensure_healthy(node.split("-")[0])


def test_kafka_leader_killed_three_times_during_acks_all(fault_table: list) -> None:
    topic = "cluster-test-ledger"
    cluster_io.reset_topic(topic, partitions=1, replication_factor=3, configs={"min.insync.replicas": "2"})
    acked: dict[int, int] = {}
    sent, stop = [0], threading.Event()
    producer = cluster_io.producer(acks="all", enable_idempotence=True, linger_ms=5)

    def produce() -> None:
        while not stop.is_set():
            i = sent[0]
            producer.send(topic, value=str(i).encode()).add_callback(lambda md, i=i: acked.setdefault(i, md.offset))
            sent[0] += 1
            time.sleep(0.003)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        for _ in range(KILLS):
            wait_for_more(acked, 300, "acknowledgements")
            kill_and_restart(cluster.leader_of(topic, 0))
        wait_for_more(acked, 300, "acknowledgements after the last kill")
    finally:
        stop.set()
        worker.join(timeout=30)
        producer.flush(timeout=120)
        producer.close()
    found = read_all(topic)
    lost = set(acked) - set(found)
    duplicated = sum(n - 1 for n in found.values())
    fault_table.append({"fault": "Kafka partition leader SIGKILLed during acks=all", "injected": KILLS,
                        "in": sent[0], "acknowledged": len(acked), "found afterwards": sum(found.values()),
                        "lost": len(lost), "duplicated": duplicated})
    assert len(acked) == sent[0], "with idempotent retries every record sent is eventually acknowledged"
    assert not lost, f"{len(lost)} acknowledged records lost, e.g. {sorted(lost)[:5]}"
    assert duplicated == 0, f"{duplicated} records written twice"


def read_all(topic: str) -> Counter[int]:
    """Every record value of partition 0, counted (bounded)."""
    partition = TopicPartition(topic, 0)
    found: Counter[int] = Counter()
    with cluster_io.consumer() as reader:
        reader.assign([partition])
        reader.seek_to_beginning(partition)
        end = reader.end_offsets([partition])[partition]
        deadline = time.monotonic() + 120
        while reader.position(partition) < end and time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=1000).values():
                found.update(int(r.value.decode()) for r in records)
    return found


class Publisher(threading.Thread):
    """Publishes numbered messages with confirms, reconnecting to a live node when its node dies."""

    def __init__(self, queue: str) -> None:
        super().__init__(daemon=True)
        self.queue, self.stop = queue, threading.Event()
        self.sent = 0
        self.confirmed: set[int] = set()

    def run(self) -> None:
        """Publish until stopped; a publish whose confirm never came is counted sent, not confirmed."""
        while not self.stop.is_set():
            try:
                with cluster_io.rabbit_connect(self.live_node()) as connection:
                    channel = connection.channel()
                    channel.confirm_delivery()
                    while not self.stop.is_set():
                        i, self.sent = self.sent, self.sent + 1
                        channel.basic_publish("", self.queue, str(i).encode(),
                                              pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent))
                        self.confirmed.add(i)
            except (pika.exceptions.AMQPError, ConnectionError, OSError):
                time.sleep(0.2)

    def live_node(self) -> str:
        """A node that is not the queue's leader right now (falls back to any)."""
        try:
            leader = cluster.queue_leader(self.queue)
        except Exception:  # the cluster is electing: any node will do
            leader = ""
        candidates = [n for n in cluster_io.RABBITMQ_NODES if n != leader and cluster.node_ready(config.load(), n)]
        return (candidates or list(cluster_io.RABBITMQ_NODES))[0]


def drain_all(queue: str, node: str) -> Counter[int]:
    """Consume and ack everything in a queue from one node, counted."""
    found: Counter[int] = Counter()
    with cluster_io.rabbit_connect(node) as connection:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=500)
        for method, _props, body in channel.consume(queue, inactivity_timeout=3.0):
            if method is None:
                break
            found[int(body)] += 1
            channel.basic_ack(method.delivery_tag)
        channel.cancel()
    return found


def fresh_quorum_queue(name: str) -> None:
    """Delete and declare a quorum queue (leader on rabbitmq-1, the connection's node)."""
    with cluster_io.rabbit_connect("rabbitmq-1") as connection:
        channel = connection.channel()
        channel.queue_delete(name)
        channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})


def test_quorum_leader_killed_three_times_during_confirmed_publishing(fault_table: list) -> None:
    queue = "cluster-test-payments"
    fresh_quorum_queue(queue)
    publisher = Publisher(queue)
    publisher.start()
    try:
        for _ in range(KILLS):
            wait_for_more(publisher.confirmed, 300, "confirms")
            kill_and_restart(cluster.queue_leader(queue))
        wait_for_more(publisher.confirmed, 300, "confirms after the last kill")
    finally:
        publisher.stop.set()
        publisher.join(timeout=60)
    found = drain_all(queue, "rabbitmq-2")
    lost = publisher.confirmed - set(found)
    duplicated = sum(n - 1 for n in found.values())
    fault_table.append({"fault": "quorum queue leader SIGKILLed during confirmed publishing", "injected": KILLS,
                        "in": publisher.sent, "acknowledged": len(publisher.confirmed),
                        "found afterwards": sum(found.values()), "lost": len(lost), "duplicated": duplicated})
    assert not lost, f"{len(lost)} confirmed messages lost, e.g. {sorted(lost)[:5]}"
    assert set(found) <= set(range(publisher.sent)), "nothing found that was never published"


class Consumer(threading.Thread):
    """Consumes with manual acks from one node, counting deliveries and the ones flagged as redelivered."""

    def __init__(self, queue: str, node: str) -> None:
        super().__init__(daemon=True)
        self.queue, self.node, self.stop = queue, node, threading.Event()
        self.deliveries: list[tuple[int, bool]] = []

    def run(self) -> None:
        """Consume until stopped, re-subscribing when the broker cancels the consumer (leader moved)."""
        while not self.stop.is_set():
            try:
                with cluster_io.rabbit_connect(self.node) as connection:
                    channel = connection.channel()
                    channel.basic_qos(prefetch_count=20)
                    for method, _props, body in channel.consume(self.queue, inactivity_timeout=0.5):
                        if self.stop.is_set():
                            break
                        if method is None:
                            continue
                        self.deliveries.append((int(body), method.redelivered))
                        time.sleep(0.002)  # a little work per payment
                        channel.basic_ack(method.delivery_tag)
            except (pika.exceptions.AMQPError, ConnectionError, OSError):
                time.sleep(0.2)


def test_node_killed_while_consumers_run(fault_table: list) -> None:
    queue, total = "cluster-test-work", 3000
    fresh_quorum_queue(queue)
    with cluster_io.rabbit_connect("rabbitmq-1") as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for i in range(total):
            channel.basic_publish("", queue, str(i).encode(), pika.BasicProperties(delivery_mode=2))
    consumers = [Consumer(queue, "rabbitmq-2"), Consumer(queue, "rabbitmq-3")]
    for consumer in consumers:
        consumer.start()
    seen = lambda: len({i for c in consumers for i, _ in c.deliveries})  # noqa: E731
    try:
        cluster_io.wait_until(lambda: seen() >= 500, 120, "500 payments consumed")
        kill_and_restart("rabbitmq-2")  # the node a consumer is connected to: its unacked payments come back
        cluster_io.wait_until(lambda: seen() >= total, 180, "every payment consumed")
    finally:
        for consumer in consumers:
            consumer.stop.set()
            consumer.join(timeout=30)
    deliveries = [d for c in consumers for d in c.deliveries]
    counts = Counter(i for i, _ in deliveries)
    flagged = sum(1 for _, redelivered in deliveries if redelivered)
    first_seen: set[int] = set()
    unflagged_repeats = 0
    for i, redelivered in deliveries:
        unflagged_repeats += i in first_seen and not redelivered
        first_seen.add(i)
    fault_table.append({"fault": "a consumer's node SIGKILLed while 2 consumers run", "injected": 1, "in": total,
                        "acknowledged": total, "found afterwards": len(counts), "redelivered": flagged,
                        "lost": total - len(counts), "duplicated": len(deliveries) - len(counts)})
    assert set(counts) == set(range(total)), f"{total - len(counts)} payments never delivered"
    assert flagged > 0, "the kill caught deliveries in flight (prefetch 20), which came back redelivered"
    assert unflagged_repeats == 0, "every repeated delivery carried the redelivered flag"
    assert len(deliveries) - len(counts) <= flagged, "every extra delivery is a counted redelivery"
