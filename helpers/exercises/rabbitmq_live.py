"""Checkers that ask the live broker (notebook 07): the learner's own broker calls run, then RabbitMQ is inspected.

The learner's function gets a channel on a connection of the checker's own, so a call the broker refuses
(which closes the channel, or with RabbitMQ 4's denied features the whole connection) never breaks the
notebook's connection. The verdict comes from what the broker holds afterwards: the queue (a passive
declare), its durability and bindings (the management HTTP API) and where probe messages land.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from pika.adapters.blocking_connection import BlockingChannel

from helpers import protocol_io, rabbit_io
from helpers.exercises import Verdict, attempt, failed, passed

#: The exercise's own topic exchange and queue in notebook 07 (tests pass names of their own).
EXCHANGE = "nb07.ex-transactions"
QUEUE = "nb07.ex-card-debits"
#: Keys the card-debit queue must receive: three words, and a longer key below txn.card.debit.
WANTED = ("txn.card.debit", "txn.card.debit.eur")
#: Keys it must not receive: another direction, another channel, too short, another first word.
UNWANTED = ("txn.card.credit", "txn.atm.debit", "txn.card", "audit.txn.card.debit", "txn.transfer.debit")


def prepare(channel: BlockingChannel, queue: str, exchange: str) -> None:
    """The exercise's starting point: the topic exchange exists and `queue` does not."""
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_delete(queue)


def bindings_from(queue: str, exchange: str) -> list[str]:
    """The binding keys `queue` has on `exchange`, sorted, as the management API reports them."""
    rows = protocol_io.management_json(f"queues/%2F/{quote(queue, safe='')}/bindings")
    return sorted(row["routing_key"] for row in rows if row["source"] == exchange)


def other_bindings(queue: str) -> list[tuple[str, str]]:
    """(exchange, key) of every binding of `queue` except the default exchange's."""
    rows = protocol_io.management_json(f"queues/%2F/{quote(queue, safe='')}/bindings")
    return sorted((row["source"], row["routing_key"]) for row in rows if row["source"])


def probe(channel: BlockingChannel, queue: str, exchange: str, keys: Sequence[str]) -> set[str]:
    """Publish one confirmed probe per routing key to `exchange`; return the keys whose probe reached `queue`."""
    channel.confirm_delivery()
    for key in keys:
        channel.basic_publish(exchange, key, key.encode())
    return {message.body.decode() for message in rabbit_io.drain(channel, queue, max_messages=len(keys))}


def _judge(channel: BlockingChannel, queue: str, exchange: str) -> Verdict:
    """The verdict on the broker's state after the learner's calls."""
    if not rabbit_io.exists(channel, queue=queue):
        return failed(f"there is no queue {queue!r}: declare it with channel.queue_declare(queue, durable=True)")
    if not protocol_io.management_json(f"queues/%2F/{quote(queue, safe='')}")["durable"]:
        return failed(f"{queue!r} is not durable: declare it with durable=True (RabbitMQ 4 refuses shared "
                      "transient queues)")
    waiting = rabbit_io.depth(channel, queue)
    if waiting:
        return failed(f"{queue!r} already holds {waiting} message(s): only declare and bind, do not publish")
    keys = bindings_from(queue, exchange)
    if not keys:
        return failed(f"{queue!r} has no binding on {exchange!r}: add one with channel.queue_bind",
                      expected=f"a binding from {exchange}", actual=other_bindings(queue) or "no bindings")
    arrived = probe(channel, queue, exchange, WANTED + UNWANTED)
    missing = [key for key in WANTED if key not in arrived]
    if missing:
        return failed(f"a message with routing key {missing[0]!r} did not reach {queue!r} "
                      f"(your binding keys: {keys}); remember what '*' and '#' stand for")
    extra = [key for key in UNWANTED if key in arrived]
    if extra:
        return failed(f"a message with routing key {extra[0]!r} reached {queue!r}, but it is not a card debit "
                      f"(your binding keys: {keys})")
    return passed(f"{queue!r} is durable and bound to {exchange!r} with {keys}: card debits in, nothing else")


def check_card_debit_queue(answer: Callable[[BlockingChannel, str, str], Any], queue: str = QUEUE,
                           exchange: str = EXCHANGE) -> Verdict:
    """Run the learner's declare-and-bind calls on a connection of the checker's own, then judge `queue`."""
    with rabbit_io.connect() as connection:
        setup = connection.channel()
        prepare(setup, queue, exchange)
        ok, _ = attempt(answer, connection.channel(), queue, exchange,
                        hint=f"declare the durable queue {queue!r}, then bind it to {exchange!r} with a pattern")
        if not ok:
            return Verdict(False)
        if not setup.is_open:
            return failed("the broker closed the connection during your calls: read the error above")
        return _judge(setup, queue, exchange)
