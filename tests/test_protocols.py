"""RabbitMQ's MQTT and STOMP plugins: topic mapping, fail-fast clients, and (live) a malformed MQTT payload
refused to a dead-letter queue with its reason, nothing lost."""

from __future__ import annotations

import dataclasses
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pika
import pytest

from helpers import banking, clients, config, protocol_io, rabbit_io


@pytest.mark.parametrize(("key", "topic"), [("txn.card.debit", "txn/card/debit"), ("txn.*.debit", "txn/+/debit"),
                                            ("txn.#", "txn/#"), ("txn", "txn"), ("*.*", "+/+")])
def test_routing_keys_and_mqtt_topics_map_both_ways(key: str, topic: str) -> None:
    assert protocol_io.mqtt_topic(key) == topic
    assert protocol_io.routing_key(topic) == key


def test_a_star_inside_a_word_is_not_a_wildcard() -> None:
    assert protocol_io.mqtt_topic("txn.a*b") == "txn/a*b"
    assert protocol_io.routing_key("txn/a+b") == "txn.a+b"


def closed_settings() -> config.Settings:
    """Settings whose MQTT, STOMP and management ports have nothing listening."""
    ports = []
    for _ in range(3):
        with socket.socket() as probe_socket:
            probe_socket.bind(("127.0.0.1", 0))
            ports.append(probe_socket.getsockname()[1])
    return dataclasses.replace(config.load(), rabbitmq_mqtt_port=ports[0], rabbitmq_stomp_port=ports[1],
                               rabbitmq_management_port=ports[2], connect_timeout_s=1)


@pytest.mark.parametrize(("name", "call"), [
    ("MQTT", lambda s: protocol_io.mqtt_client("test-closed", settings=s)),
    ("STOMP", lambda s: protocol_io.stomp_connection(s)),
    ("management", lambda s: protocol_io.management_json("overview", s)),
])
def test_a_missing_plugin_listener_fails_fast_with_the_fix(name: str, call) -> None:
    with pytest.raises(clients.BrokerUnavailable, match=rf"RabbitMQ {name} is not reachable.*rabbitmq_mqtt"):
        call(closed_settings())


def test_wait_until_is_bounded() -> None:
    with pytest.raises(TimeoutError, match="the impossible did not happen within 0.1 s"):
        protocol_io.wait_until(lambda: False, 0.1, "the impossible")


@pytest.fixture
def audit_queue() -> Iterator[tuple[pika.adapters.blocking_connection.BlockingChannel, str, str]]:
    """A queue bound to amq.topic under a unique prefix, dead-lettering to its own queue; both deleted after."""
    prefix = f"test.{uuid.uuid4().hex[:8]}"
    queue, dead = f"{prefix}.audit", f"{prefix}.dead"
    with rabbit_io.connect() as connection:
        channel = connection.channel()
        channel.queue_declare(dead, durable=True)
        channel.queue_declare(queue, durable=True, arguments={"x-dead-letter-exchange": "",
                                                               "x-dead-letter-routing-key": dead})
        channel.queue_bind(queue, "amq.topic", routing_key=f"{prefix}.txn.#")
        try:
            yield channel, queue, dead
        finally:
            channel.queue_delete(queue)
            channel.queue_delete(dead)


@pytest.mark.live
def test_a_malformed_mqtt_payload_is_dead_lettered_with_its_reason(audit_queue) -> None:
    channel, queue, dead = audit_queue
    prefix = queue.rpartition(".")[0]
    valid = banking.MoneyDeposited(event_id="evt-1", account_id="ACC-001", amount=Decimal("12.50"),
                                   occurred_at=datetime(2026, 1, 1, 9, tzinfo=UTC), description="cash")
    bodies = [b"{amount: 12.50", banking.to_json(valid), b'{"type": "MoneyVanished"}', b"\xff\xfe"]
    app = protocol_io.mqtt_client(f"test-{uuid.uuid4().hex[:8]}")
    try:
        for body in bodies:
            info = app.publish(protocol_io.mqtt_topic(f"{prefix}.txn.app.debit"), body, qos=1)
            info.wait_for_publish(timeout=10)
            assert info.is_published(), "the broker confirmed (PUBACK) every QoS 1 publish"
    finally:
        app.disconnect()
        app.loop_stop()
    rabbit_io.wait_for_depth(channel, queue, len(bodies), timeout_s=10)
    accepted, refused = protocol_io.take_valid(channel, queue, banking.from_json)
    assert accepted == [valid]
    assert [r.body for r in refused] == [bodies[0], bodies[2], bodies[3]]
    assert all(r.reason.startswith("MalformedEvent: ") for r in refused), [r.reason for r in refused]
    assert all(r.routing_key == f"{prefix}.txn.app.debit" for r in refused)
    rabbit_io.wait_for_depth(channel, dead, len(refused), timeout_s=10)
    dead_letters = rabbit_io.drain(channel, dead, max_messages=10)
    assert [m.body for m in dead_letters] == [r.body for r in refused], "every refused payload is kept, none lost"
    assert all(rabbit_io.x_death(m.properties).reason.tolist() == ["rejected"] for m in dead_letters)
    assert rabbit_io.depth(channel, queue) == 0
