"""Is a broker answering? Real protocol round trips and listening addresses, for `status` and the tests."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from helpers import clients, config


@dataclass(frozen=True)
class RoundTrip:
    """The outcome of one real protocol round trip to a broker."""

    ok: bool
    detail: str


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc shows them) of TCP sockets listening on a port (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


#: 127.0.0.1 in /proc/net/tcp, as an IPv4-mapped IPv6 address, and ::1.
LOOPBACK_ADDRESSES = frozenset({"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"})


def kafka_round_trip(settings: config.Settings | None = None) -> RoundTrip:
    """Produce one message to a health-check topic and read it back by its offset."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    settings = settings or config.load()
    try:
        common = clients.kafka_connection(settings)
        started = time.perf_counter()
        payload = uuid.uuid4().bytes
        with KafkaProducer(**common, max_block_ms=clients.KAFKA_MAX_BLOCK_MS) as producer:
            sent = producer.send("course.healthcheck", payload).get(timeout=clients.KAFKA_REQUEST_TIMEOUT_MS / 1000)
        partition = TopicPartition(sent.topic, sent.partition)
        with KafkaConsumer(**common) as consumer:
            consumer.assign([partition])
            consumer.seek(partition, sent.offset)
            records = consumer.poll(timeout_ms=clients.KAFKA_REQUEST_TIMEOUT_MS, max_records=1).get(partition, [])
        if not records or records[0].value != payload:
            return RoundTrip(False, "produced a message but could not read it back")
        return RoundTrip(True, f"produce + consume in {(time.perf_counter() - started) * 1000:.0f} ms")
    except Exception as error:  # status reports any failure rather than raising
        return RoundTrip(False, f"{type(error).__name__}: {error}")


def rabbitmq_round_trip(settings: config.Settings | None = None) -> RoundTrip:
    """Publish one message to an exclusive queue and consume it back with an ack."""
    settings = settings or config.load()
    try:
        started = time.perf_counter()
        with clients.connect_rabbitmq(settings) as connection:
            channel = connection.channel()
            queue = channel.queue_declare("", exclusive=True).method.queue
            payload = uuid.uuid4().bytes
            channel.basic_publish("", queue, payload)
            method, _, body = next(channel.consume(queue, inactivity_timeout=settings.connect_timeout_s))
            if method is None or body != payload:
                return RoundTrip(False, "published a message but could not consume it back")
            channel.basic_ack(method.delivery_tag)
            channel.cancel()
        return RoundTrip(True, f"publish + consume + ack in {(time.perf_counter() - started) * 1000:.0f} ms")
    except Exception as error:  # status reports any failure rather than raising
        return RoundTrip(False, f"{type(error).__name__}: {error}")


def redis_round_trip(settings: config.Settings | None = None) -> RoundTrip:
    """SET a random value under a health-check key, GET it back, then DEL it."""
    import redis

    settings = settings or config.load()
    try:
        clients.require_redis(settings)
        started = time.perf_counter()
        payload = uuid.uuid4().hex
        with redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5) as client:
            client.set("course:healthcheck", payload, ex=60)
            echoed = client.get("course:healthcheck")
            client.delete("course:healthcheck")
            version = client.info("server")["redis_version"]
        if echoed != payload.encode():
            return RoundTrip(False, "set a key but could not read it back")
        return RoundTrip(True, f"set + get + del in {(time.perf_counter() - started) * 1000:.0f} ms (Redis {version})")
    except Exception as error:  # status reports any failure rather than raising
        return RoundTrip(False, f"{type(error).__name__}: {error}")


def postgres_round_trip(settings: config.Settings | None = None) -> RoundTrip:
    """SELECT 1 over a fresh session, and read wal_level: change data capture needs `logical`."""
    settings = settings or config.load()
    try:
        started = time.perf_counter()
        with clients.connect_postgres(settings) as connection:
            one = connection.execute("SELECT 1").fetchone()
            wal_level = connection.execute("SHOW wal_level").fetchone()[0]
            version = connection.execute("SHOW server_version").fetchone()[0].split()[0]
        if one != (1,):
            return RoundTrip(False, f"SELECT 1 returned {one!r}")
        took = (time.perf_counter() - started) * 1000
        if wal_level != "logical":
            return RoundTrip(False, f"wal_level={wal_level} (PostgreSQL {version}): change data capture needs "
                                    f"wal_level=logical")
        return RoundTrip(True, f"SELECT 1 in {took:.0f} ms (PostgreSQL {version}, wal_level=logical)")
    except Exception as error:  # status reports any failure rather than raising
        return RoundTrip(False, f"{type(error).__name__}: {error}")


def connect_round_trip(settings: config.Settings | None = None) -> RoundTrip:
    """GET /connector-plugins from Kafka Connect's REST API: ready once it lists Debezium's PostgreSQL connector."""
    import json
    import urllib.request

    from tooling.stack.native_connect import POSTGRES_CONNECTOR

    settings = settings or config.load()
    try:
        clients.require_connect(settings)
        started = time.perf_counter()
        with urllib.request.urlopen(f"{settings.connect_url}/connector-plugins",
                                    timeout=settings.connect_timeout_s) as response:
            plugins = {plugin["class"] for plugin in json.load(response)}
        took = (time.perf_counter() - started) * 1000
        if POSTGRES_CONNECTOR not in plugins:
            return RoundTrip(False, f"Kafka Connect answers but lists no {POSTGRES_CONNECTOR} "
                                    f"({len(plugins)} plugins)")
        return RoundTrip(True, f"GET /connector-plugins in {took:.0f} ms (Debezium PostgreSQL connector listed)")
    except Exception as error:  # status reports any failure rather than raising
        return RoundTrip(False, f"{type(error).__name__}: {error}")
