"""Checkers for the cluster notebooks' exercises (11 Kafka replication, 12 RabbitMQ queue types)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpers.exercises import Verdict, attempt, failed, passed

# --- 11: who leads each partition (checked against the live cluster) -------------------------


def check_partition_leaders(answer: Callable[[str, int], str], topic: str, partitions: int,
                            truth: Callable[[str, int], str]) -> Verdict:
    """Check leader(topic, partition) -> 'kafka-N' against what the cluster reports right now."""
    for partition in range(partitions):
        ok, actual = attempt(answer, topic, partition,
                             hint="admin.describe_topics([topic]) lists each partition's 'leader_id' (a broker id)")
        if not ok:
            return Verdict(False)
        expected = truth(topic, partition)
        if actual != expected:
            return failed(f"the leader of {topic} partition {partition} (a name like 'kafka-2')", expected, actual)
    return passed(f"you read every leader of {topic} from the cluster's own metadata.")


# --- 11: which writes survive lost brokers ------------------------------------------------------

WRITABLE_CASES = [(3, 2, 0), (3, 2, 1), (3, 2, 2), (3, 1, 2), (3, 3, 1), (2, 2, 1), (5, 3, 2), (5, 3, 3), (1, 1, 0)]


def check_acks_all_writable(answer: Callable[[int, int, int], bool]) -> Verdict:
    """Check writable(replication_factor, min_insync, brokers_lost) -> can acks=all writes still succeed?"""
    for replicas, min_isr, lost in WRITABLE_CASES:
        ok, actual = attempt(answer, replicas, min_isr, lost,
                             hint="after `lost` replicas die, the ISR holds replication_factor - lost of them")
        if not ok:
            return Verdict(False)
        expected = replicas - lost >= min_isr
        if actual is not expected:
            return failed(f"writable(replication_factor={replicas}, min_insync={min_isr}, lost={lost})",
                          expected, actual)
    return passed("acks=all writes go on while the in-sync replicas left are at least min.insync.replicas.")


# --- 12: how many lost nodes a quorum queue survives -------------------------------------------

QUORUM_CASES = [(3, 0), (3, 1), (3, 2), (1, 0), (1, 1), (2, 1), (4, 1), (4, 2), (5, 2), (5, 3), (6, 3), (7, 3)]


def check_quorum_available(answer: Callable[[int, int], bool]) -> Verdict:
    """Check still_available(members, lost) -> can a quorum queue with `members` replicas still confirm a publish?"""
    for members, lost in QUORUM_CASES:
        ok, actual = attempt(answer, members, lost,
                             hint="try your rule on 4 members with 2 lost, and on 2 members with 1 lost")
        if not ok:
            return Verdict(False)
        expected = members - lost > members // 2
        if actual is not expected:
            return failed(f"still_available(members={members}, lost={lost})", expected, actual)
    return passed("a quorum queue confirms while a strict majority of its members lives: 3 survive 1 lost node, "
                  "4 survive only 1 too, 5 survive 2. An even member count buys nothing.")


# --- 12: a delivery limit that dead-letters (checked against the live cluster) -------------------

NOT_NOW = ("basic_nack(requeue=True) means 'not now': from RabbitMQ 4.3 it no longer counts toward "
           "x-delivery-limit, so the poison message would come back forever. A failed delivery is "
           "basic_reject(delivery_tag, requeue=True), which counts on every version")


class CallLog:
    """The channel as the learner's `fail` sees it: every attribute it uses is forwarded, and its name noted."""

    def __init__(self, channel: Any) -> None:
        self.channel, self.calls = channel, set()

    def __getattr__(self, name: str) -> Any:
        self.calls.add(name)
        return getattr(self.channel, name)


def check_delivery_limit(declare: Callable[[Any, str, str], None], fail: Callable[[Any, int], None], channel: Any,
                         queue: str, dead_letters: str, limit: int = 2) -> Verdict:
    """Check declare(channel, queue, dead_letters) and fail(channel, delivery_tag): dead-lettered after `limit` failures."""
    for name in (queue, dead_letters):
        channel.queue_delete(name)
    channel.queue_declare(dead_letters, durable=True)
    ok, _ = attempt(declare, channel, queue, dead_letters,
                    hint="queue_declare(queue, durable=True, arguments={'x-queue-type': 'quorum', ...})")
    if not ok:
        return Verdict(False)
    channel.basic_publish("", queue, b"poison")
    deliveries, seen = 0, CallLog(channel)
    for method, _properties, _body in channel.consume(queue, inactivity_timeout=2.0):
        if method is None:
            break
        deliveries += 1
        ok, _ = attempt(fail, seen, method.delivery_tag, hint="channel.basic_reject(delivery_tag, requeue=...)")
        if not ok or deliveries > limit + 3:
            break
    channel.cancel()
    if not ok:
        return Verdict(False)
    if "basic_nack" in seen.calls:
        return failed(NOT_NOW)
    method, properties, _ = channel.basic_get(dead_letters, auto_ack=True)
    reason = (properties.headers or {}).get("x-death", [{}])[0].get("reason", b"") if method else None
    reason = reason.decode() if isinstance(reason, bytes) else reason
    if deliveries != limit + 1 or reason != "delivery_limit":
        return failed(f"a message delivered {limit + 1} times (1 + {limit} failures put back), then dead-lettered "
                      f"with reason delivery_limit", (limit + 1, "delivery_limit"), (deliveries, reason))
    return passed(f"delivered {deliveries} times, then dead-lettered to {dead_letters} with reason delivery_limit.")
