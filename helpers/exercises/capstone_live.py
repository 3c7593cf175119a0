"""The capstone's exercise on the live broker (10 The event-driven bank): a notification consumer that
drops repeated alerts by `message_id`, checked by looking at RabbitMQ itself.

The checker declares its own queue, publishes alerts with a repeat and one the consumer has already
delivered, runs the learner's consumer on a channel of its own, then closes that channel's connection
(so any message left unacknowledged goes back to the queue) and asks the broker how many messages the
queue still holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pika
from pika.adapters.blocking_connection import BlockingChannel

from helpers import rabbit_io
from helpers.exercises import Verdict, attempt, failed, passed

#: The checker's own queue (deleted before and after each check).
QUEUE = "nb10.exercise.notify"
#: Alert ids in publishing order: a repeat of alert-b and of alert-a, and alert-0 delivered before the check.
PUBLISHED = ["alert-a", "alert-b", "alert-b", "alert-0", "alert-c", "alert-a", "alert-d"]
ALREADY_SEEN = frozenset({"alert-0"})
EXPECTED = ["alert-a", "alert-b", "alert-c", "alert-d"]

Answer = Callable[[BlockingChannel, str, set[str]], list[str]]


def _publish_alerts(channel: BlockingChannel, queue: str) -> None:
    """A fresh durable queue holding PUBLISHED, each persistent, confirmed, with its alert id as message_id."""
    channel.queue_delete(queue)
    channel.queue_declare(queue, durable=True)
    channel.confirm_delivery()
    for alert_id in PUBLISHED:
        channel.basic_publish("", queue, json.dumps({"alert_id": alert_id}).encode(), mandatory=True,
                              properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent,
                                                              message_id=alert_id))


def _run(answer: Answer, queue: str, seen: set[str]) -> tuple[bool, object]:
    """Run the answer on a connection of its own, then close it: unacknowledged messages return to the queue."""
    connection = rabbit_io.connect()
    try:
        return attempt(answer, connection.channel(), queue, seen,
                       hint="consume with rabbit_io.consuming(channel, queue); per message: skip it if "
                            "properties.message_id is in seen, else add it and keep it; basic_ack every message")
    finally:
        if connection.is_open:
            connection.close()


def check_notify_once(answer: Answer, queue: str = QUEUE) -> Verdict:
    """Check notify_once(channel, queue, seen) -> the new message ids, in order, every message acknowledged."""
    channel = rabbit_io.open_channel()
    try:
        _publish_alerts(channel, queue)
        seen = set(ALREADY_SEEN)
        ok, actual = _run(answer, queue, seen)
        if not ok:
            return Verdict(False)
        left = rabbit_io.depth(channel, queue)
        if left:
            return failed(f"RabbitMQ still holds {left} of the {len(PUBLISHED)} messages in {queue} after your "
                          "consumer finished: acknowledge every message (channel.basic_ack(method.delivery_tag)), "
                          "repeats included, and read until the queue is empty")
        if actual != EXPECTED:
            return failed("the delivered alert ids are wrong: each new message_id once, in the order they arrived "
                          f"(the queue held {PUBLISHED}, and seen started as {sorted(ALREADY_SEEN)})", EXPECTED, actual)
        if seen != set(ALREADY_SEEN) | set(EXPECTED):
            return failed("add each delivered message_id to `seen` (it is the consumer's own store)",
                          sorted(set(ALREADY_SEEN) | set(EXPECTED)), sorted(seen))
        return passed(f"{len(PUBLISHED)} messages in, {len(EXPECTED)} alerts delivered, every message acknowledged "
                      "and the queue empty: at-least-once delivery plus an idempotent consumer, effectively once.")
    finally:
        if channel.is_open:
            channel.queue_delete(queue)
            channel.connection.close()
