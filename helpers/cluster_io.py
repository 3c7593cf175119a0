"""Clients for the three-node cluster of notebooks 11-12: Kafka admin queries and RabbitMQ node connections.

    from helpers import cluster_io
    cluster_io.require_cluster()                        # fails fast, naming `make up-cluster`
    admin = cluster_io.admin()                          # KafkaAdminClient bootstrapped from all three brokers
    cluster_io.reset_topic("nb11-payments", partitions=6, replication_factor=3)
    cluster_io.partitions_table("nb11-payments")        # partition, leader, replicas, isr
    connection = cluster_io.rabbit_connect("rabbitmq-2")

The Kafka and pika calls a lesson teaches (send, poll, create_topics, basic_publish...) stay in the notebooks;
starting, stopping and killing nodes is the course's tooling (`tooling.stack.cluster`), not a client API.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pika
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError

from helpers import clients, config, kafka_io, waiting

KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")
RABBITMQ_NODES = ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3")
FIX = "make up-cluster"


def node_name(broker_id: int | None) -> str:
    """The course's name of a Kafka broker id (2 -> 'kafka-2'); '-' when there is none (no leader)."""
    return "-" if broker_id is None or broker_id < 0 else f"kafka-{broker_id}"


def require_cluster(settings: config.Settings | None = None) -> config.Settings:
    """Fail fast with BrokerUnavailable unless some broker and some node of each cluster accept connections."""
    settings = settings or config.load()
    kafka = [config.split_host_port(a) for a in settings.cluster_kafka_addresses]
    rabbit = [(settings.rabbitmq_host, p) for p in settings.cluster_rabbitmq_ports]
    for broker, addresses in (("the Kafka cluster", kafka), ("the RabbitMQ cluster", rabbit)):
        if not any(clients.port_open(host, port) for host, port in addresses):
            raise clients.BrokerUnavailable(broker, ",".join(f"{h}:{p}" for h, p in addresses),
                                            "no node answers", FIX)
    return settings


def _kafka(**overrides: Any) -> dict[str, Any]:
    """Connection settings for the Kafka cluster (every broker as a bootstrap server)."""
    settings = config.load()
    alive = [a for a in settings.cluster_kafka_addresses if clients.port_open(*config.split_host_port(a), 0.5)]
    return {"bootstrap_servers": alive or list(settings.cluster_kafka_addresses),
            "bootstrap_timeout_ms": clients.KAFKA_BOOTSTRAP_TIMEOUT_MS,
            "request_timeout_ms": clients.KAFKA_REQUEST_TIMEOUT_MS, **overrides}


def admin(**overrides: Any) -> KafkaAdminClient:
    """A KafkaAdminClient for the cluster."""
    return KafkaAdminClient(**_kafka(**overrides))


def producer(**overrides: Any) -> KafkaProducer:
    """A KafkaProducer for the cluster (bytes in; the caller picks acks and idempotence)."""
    return KafkaProducer(**_kafka(**{"max_block_ms": clients.KAFKA_MAX_BLOCK_MS, **overrides}))


def consumer(*topics: str, **overrides: Any) -> KafkaConsumer:
    """A KafkaConsumer for the cluster, from the earliest offset when nothing is committed."""
    defaults = {"auto_offset_reset": "earliest", "session_timeout_ms": 6_000, "heartbeat_interval_ms": 500}
    return KafkaConsumer(*topics, **_kafka(**{**defaults, **overrides}))


def ask(query: Callable[[KafkaAdminClient], Any], timeout_s: float = 20.0) -> Any:
    """Run an admin query, retrying (bounded) while it lands on a broker that just died."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with admin() as client:
                return query(client)
        except (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.3)


def partitions_table(topic: str, timeout_s: float = 20.0) -> pd.DataFrame:
    """Each partition of a topic: its leader, its replicas and its in-sync replicas, by course node name.

    Each broker learns of a new topic from the controller on its own time, so the broker that answers may not
    know it yet: then this asks again (bounded), and LookupError says which cell creates the topic.
    """
    deadline = waiting.Deadline(timeout_s)
    while not (described := ask(lambda client: client.describe_topics([topic])[0]))["partitions"]:
        if deadline.passed():
            raise LookupError(f"Kafka cluster: no broker reports topic {topic} after {timeout_s:g} s: run the cell "
                              "that creates it (its section's first cell), then this one")
        time.sleep(0.2)
    rows = [{"partition": p["partition_index"], "leader": node_name(p["leader_id"]),
             "replicas": ",".join(node_name(r) for r in sorted(p["replica_nodes"])),
             "isr": ",".join(node_name(r) for r in sorted(p["isr_nodes"]))} for p in described["partitions"]]
    return pd.DataFrame(rows, columns=["partition", "leader", "replicas", "isr"]).sort_values("partition",
                                                                                              ignore_index=True)


def leader_of(topic: str, partition: int) -> str:
    """The node that leads one partition now ('-' while it has none)."""
    table = partitions_table(topic)
    return str(table.loc[table["partition"] == partition, "leader"].iloc[0])


def live_brokers() -> list[str]:
    """The brokers the cluster's metadata lists as registered and unfenced, sorted."""
    brokers = ask(lambda client: client.describe_cluster()["brokers"])
    return sorted(node_name(b["broker_id"]) for b in brokers if not b.get("is_fenced"))


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1) -> float:
    """Poll `condition()` until true; return the seconds it took, or raise TimeoutError naming `what`."""
    started = time.monotonic()
    waiting.until(condition, timeout_s, f"{what} did not happen", interval_s)
    return time.monotonic() - started


def reset_topic(topic: str, partitions: int, replication_factor: int = 3,
                configs: dict[str, str] | None = None, timeout_s: float = 60.0) -> pd.DataFrame:
    """Delete and recreate a topic empty, wait until every partition has a leader and a full ISR; its table."""
    spec = {topic: {"num_partitions": partitions, "replication_factor": replication_factor,
                    "configs": dict(configs or {})}}
    with admin() as client:
        kafka_io.recreate_topics(client, spec, timeout_s)
    seen: list[pd.DataFrame] = []  # the table that showed it replicated: another broker may still lag behind

    def replicated() -> bool:
        seen[:] = [partitions_table(topic)]
        return _fully_replicated(seen[0], partitions, replication_factor)

    wait_until(replicated, timeout_s, f"Kafka cluster: {topic} fully replicated")
    return seen[0]


def _fully_replicated(table: pd.DataFrame, partitions: int, replication_factor: int) -> bool:
    """True when a topic's table has all its partitions, each with a leader and every replica in sync."""
    return (len(table) == partitions and "-" not in set(table["leader"])
            and all(len(isr.split(",")) == replication_factor for isr in table["isr"]))


def rabbit_url(node: str, settings: config.Settings | None = None) -> str:
    """The AMQP URL of one RabbitMQ node ('rabbitmq-2' -> its port)."""
    if node not in RABBITMQ_NODES:
        raise ValueError(f"unknown RabbitMQ node {node!r}; the cluster has {', '.join(RABBITMQ_NODES)}")
    return (settings or config.load()).cluster_rabbitmq_urls[RABBITMQ_NODES.index(node)]


def rabbit_connect(node: str, timeout_s: float = 5.0) -> pika.BlockingConnection:
    """A blocking AMQP connection to one node of the RabbitMQ cluster (fails fast when it is down)."""
    settings = dataclasses.replace(config.load(), rabbitmq_url=rabbit_url(node))
    parameters = pika.URLParameters(settings.rabbitmq_url)
    parameters.socket_timeout = parameters.stack_timeout = parameters.blocked_connection_timeout = timeout_s
    # heartbeats off, as clients.py has them for the single node: a BlockingConnection answers them only while it is
    # called, and 12's connection idles through the Kafka section; a killed node closes its sockets at once anyway
    parameters.connection_attempts, parameters.heartbeat = 1, 0
    try:
        return pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPConnectionError as error:
        raise clients.BrokerUnavailable(f"RabbitMQ node {node}", f"{settings.rabbitmq_host}:{settings.rabbitmq_port}",
                                        f"{type(error).__name__}", FIX) from None
