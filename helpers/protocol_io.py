"""RabbitMQ's other protocols: MQTT (paho-mqtt) and STOMP (stomp.py) clients that fail fast, topic mapping,
and a consumer that refuses malformed payloads to a dead-letter queue with the reason.

The calls a lesson teaches (subscribe, publish, ack, disconnect) stay in the notebook.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
import stomp
from pika.adapters.blocking_connection import BlockingChannel

from helpers import clients, config, rabbit_io

PLUGIN_FIX = "make down && make up (the course's stack enables the rabbitmq_mqtt and rabbitmq_stomp plugins)"


def mqtt_topic(routing_key: str) -> str:
    """The MQTT topic (or filter) for an AMQP routing key (or binding key): `.`→`/`, `*`→`+`, `#` stays."""
    return "/".join("+" if word == "*" else word for word in routing_key.split("."))


def routing_key(topic: str) -> str:
    """The AMQP routing key (or binding key) the MQTT plugin uses for a topic (or filter) on amq.topic."""
    return ".".join("*" if word == "+" else word for word in topic.split("/"))


def _require(protocol: str, port: int, settings: config.Settings) -> None:
    """Fail fast with BrokerUnavailable unless RabbitMQ's listener for `protocol` accepts connections."""
    if not clients.port_open(settings.rabbitmq_host, port, settings.connect_timeout_s):
        raise clients.BrokerUnavailable(f"RabbitMQ {protocol}", f"{settings.rabbitmq_host}:{port}",
                                        "nothing accepts connections", PLUGIN_FIX)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` until it holds; raise TimeoutError naming `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(0.01)


def mqtt_client(client_id: str, on_message: Callable[[mqtt.Client, Any, mqtt.MQTTMessage], None] | None = None, *,
                clean_session: bool = True, manual_ack: bool = False,
                settings: config.Settings | None = None) -> mqtt.Client:
    """An MQTT 3.1.1 client connected to RabbitMQ's MQTT listener, network loop running; disconnect it when done.

    `on_message` is set before connecting, so a resumed session's queued messages are not missed."""
    settings = settings or config.load()
    _require("MQTT", settings.rabbitmq_mqtt_port, settings)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session,
                         manual_ack=manual_ack)
    client.on_message = on_message
    client.username_pw_set(*_credentials(settings))
    client.connect(settings.rabbitmq_host, settings.rabbitmq_mqtt_port, keepalive=30)
    client.loop_start()
    try:
        wait_until(client.is_connected, settings.connect_timeout_s, f"MQTT CONNACK for {client_id}")
    except TimeoutError:
        client.loop_stop()
        raise
    return client


def stomp_connection(settings: config.Settings | None = None) -> stomp.Connection12:
    """A STOMP 1.2 connection to RabbitMQ's STOMP listener, logged in; disconnect it when done."""
    settings = settings or config.load()
    _require("STOMP", settings.rabbitmq_stomp_port, settings)
    vhost = unquote(urlsplit(settings.rabbitmq_url).path.lstrip("/")) or "/"  # STOMP's `host` names the vhost
    connection = stomp.Connection12([(settings.rabbitmq_host, settings.rabbitmq_stomp_port)], heartbeats=(0, 0),
                                    timeout=settings.connect_timeout_s, vhost=vhost)
    connection.connect(*_credentials(settings), wait=True)
    return connection


def management_json(path: str, settings: config.Settings | None = None) -> Any:
    """GET one path of RabbitMQ's management HTTP API (e.g. `exchanges/%2F/amq.topic/bindings/source`)."""
    import base64
    import json
    import urllib.request

    settings = settings or config.load()
    _require("management", settings.rabbitmq_management_port, settings)
    login = base64.b64encode(":".join(_credentials(settings)).encode()).decode()
    request = urllib.request.Request(f"http://{settings.rabbitmq_host}:{settings.rabbitmq_management_port}/api/{path}",
                                     headers={"Authorization": f"Basic {login}"})
    with urllib.request.urlopen(request, timeout=settings.connect_timeout_s) as response:
        return json.load(response)


def _credentials(settings: config.Settings) -> tuple[str, str]:
    """The user and password of RABBITMQ_URL (the same login serves every protocol)."""
    parts = urlsplit(settings.rabbitmq_url)
    return unquote(parts.username or "guest"), unquote(parts.password or "guest")


@dataclass(frozen=True)
class Refused:
    """A message the consumer would not process, and why."""

    routing_key: str
    body: bytes
    reason: str


def take_valid(channel: BlockingChannel, queue: str, parse: Callable[[bytes], Any],
               max_messages: int = 1000, inactivity_timeout_s: float = 1.0) -> tuple[list[Any], list[Refused]]:
    """Consume (bounded): ack what `parse` accepts, nack-without-requeue (to the queue's dead-letter exchange)
    what it raises on; return (parsed values, refused messages with their reasons)."""
    accepted: list[Any] = []
    refused: list[Refused] = []
    with rabbit_io.consuming(channel, queue, inactivity_timeout=inactivity_timeout_s) as deliveries:
        for method, _properties, body in deliveries:
            if method is None:
                break
            try:
                accepted.append(parse(body))
            except (ValueError, KeyError, TypeError) as error:
                channel.basic_nack(method.delivery_tag, requeue=False)  # not requeued: dead-lettered (reason rejected)
                refused.append(Refused(method.routing_key, body, f"{type(error).__name__}: {error}"))
            else:
                channel.basic_ack(method.delivery_tag)
            if len(accepted) + len(refused) >= max_messages:
                break
    return accepted, refused
