"""Live checkers for notebook 08 (RabbitMQ in the bank): the learner writes the broker calls, the checker asks the broker.

    from helpers.exercises import rabbitmq_bank
    rabbitmq_bank.check_dead_letter_setup(declare_parking, handle_payments)

The checker deletes the exercise's queues and exchange, hands the learner's functions a channel of
their own, publishes good and poison payments, then inspects RabbitMQ itself: the work queue's
arguments and the parking exchange's bindings (management HTTP API), the queues' depths (passive
declares) and the parked messages with their `x-death` history. It prints one specific line.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from helpers import banking, config, protocol_io, rabbit_io, waiting, workload
from helpers.exercises import Verdict, attempt, failed, passed

HINT = ("declare the parking exchange (fanout) and queue and bind them; declare the work queue with "
        "arguments={'x-dead-letter-exchange': parking_exchange}; then basic_ack what parses and "
        "basic_nack(delivery_tag, requeue=False) what does not")
#: How long the checker lets the broker settle (requeues after a close, dead-lettering) before it judges.
SETTLE_S = 3.0


@dataclass(frozen=True)
class Names:
    """The exercise's broker objects (tests use names of their own)."""

    queue: str = "nb08.ex.payments"
    parking_exchange: str = "nb08.ex.dead-letters"
    parked: str = "nb08.ex.parked"


def payments() -> list[tuple[str, bytes]]:
    """(message_id, body): Asha Patel's first four money movements from the bank, and two poison messages."""
    events = [e for e in workload.the_bank().events if e.account_id == "ACC-001" and banking.signed_amount(e)][:4]
    good = [(e.event_id, banking.to_json(e).encode()) for e in events]
    comma = banking.to_json(events[1]).replace(f'"amount": "{events[1].amount}"', '"amount": "12,50"')
    return [good[0], good[1], ("poison-comma", comma.encode()), good[2], ("poison-not-json", b"amount=12.50"), good[3]]


def poison_ids() -> set[str]:
    """The message ids of the payments that can never parse."""
    return {message_id for message_id, _ in payments() if message_id.startswith("poison-")}


def _publish(channel: BlockingChannel, queue: str) -> None:
    """Confirmed, persistent publishes of the payments straight into the work queue (default exchange)."""
    channel.confirm_delivery()
    for message_id, body in payments():
        channel.basic_publish("", queue, body, pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent, message_id=message_id, content_type="application/json"),
            mandatory=True)


def _queue_arguments(queue: str, settings: config.Settings) -> dict[str, Any]:
    """A queue's declared arguments, as the management API reports them."""
    return protocol_io.management_json(f"queues/%2F/{urllib.parse.quote(queue, safe='')}", settings)["arguments"]


def _bound_queues(exchange: str, settings: config.Settings) -> set[str]:
    """The queues an exchange routes to (its bindings, from the management API)."""
    path = f"exchanges/%2F/{urllib.parse.quote(exchange, safe='')}/bindings/source"
    return {b["destination"] for b in protocol_io.management_json(path, settings) if b["destination_type"] == "queue"}


def _topology_problem(names: Names, channel: BlockingChannel, settings: config.Settings) -> str | None:
    """What is missing from the learner's declarations, or None when the topology is right."""
    for kind, name in (("queue", names.queue), ("queue", names.parked)):
        if not rabbit_io.exists(channel, queue=name):
            return f"there is no {kind} {name!r}: declare it (durable=True)"
    dlx = _queue_arguments(names.queue, settings).get("x-dead-letter-exchange")
    if dlx is None:
        return (f"{names.queue!r} has no 'x-dead-letter-exchange' argument, so a rejected message is dropped: "
                f"declare it with arguments={{'x-dead-letter-exchange': {names.parking_exchange!r}}}")
    if not rabbit_io.exists(channel, exchange=dlx):
        return f"{names.queue!r} dead-letters to the exchange {dlx!r}, which does not exist: declare it"
    if names.parked not in _bound_queues(dlx, settings):
        return f"the dead-letter exchange {dlx!r} has no binding to {names.parked!r}: queue_bind it"
    return None


def _depths_settled(channel: BlockingChannel, names: Names) -> tuple[int, int]:
    """(work queue, parked) depths once they stop changing or SETTLE_S passes."""
    seen: list[tuple[int, int]] = []

    def steady() -> bool:
        seen.append((rabbit_io.depth(channel, names.queue), rabbit_io.depth(channel, names.parked)))
        return seen[-1] == (0, len(poison_ids())) or (len(seen) > 3 and len(set(seen[-3:])) == 1)

    with contextlib.suppress(TimeoutError):  # then judge what is there
        waiting.until(steady, SETTLE_S, "the queues did not settle", sleep=channel.connection.sleep, interval_s=0.2)
    return seen[-1]


def _judge_parked(parked: list[rabbit_io.Message], names: Names) -> str | None:
    """What is wrong with the parked messages, or None."""
    ids = {m.properties.message_id for m in parked}
    if ids - poison_ids():
        return (f"good payments were parked: {sorted(ids - poison_ids())} parse fine, so basic_ack them "
                "(only what banking.from_json refuses is poison)")
    if poison_ids() - ids:
        return (f"poison messages missing from {names.parked!r}: {sorted(poison_ids() - ids)} were acked or dropped; "
                "reject them with basic_nack(delivery_tag, requeue=False)")
    for message in parked:
        deaths = rabbit_io.x_death(message.properties)
        if deaths.empty or deaths.reason.iloc[0] != "rejected" or deaths.queue.iloc[0] != names.queue:
            return (f"{message.properties.message_id} reached {names.parked!r} without an x-death entry saying "
                    f"'rejected' from {names.queue!r} (found {deaths[['queue', 'reason']].to_dict('records')})")
    return None


def check_dead_letter_setup(declare: Callable[..., Any], handle: Callable[..., Any], names: Names | None = None,
                            settings: config.Settings | None = None) -> Verdict:
    """Exercise 08.3: a work queue that dead-letters into a parking queue, and a consumer that rejects poison."""
    names = names or Names()
    settings = settings or config.load()
    judge = rabbit_io.open_channel(settings)
    try:
        rabbit_io.reset(judge, exchanges=[names.parking_exchange], queues=[names.queue, names.parked])
        learner = rabbit_io.open_channel(settings)
        try:
            ok, _ = attempt(declare, learner, names.queue, names.parking_exchange, names.parked, hint=HINT)
            if not ok:
                return Verdict(False)
            problem = _topology_problem(names, judge, settings)
            if problem:
                return failed(problem)
            _publish(judge, names.queue)
            ok, _ = attempt(handle, learner, names.queue, hint=HINT)
        finally:
            if learner.connection.is_open:
                learner.connection.close()  # anything left unacked goes back to the work queue
        if not ok:
            return Verdict(False)
        waiting_count, parked_count = _depths_settled(judge, names)
        if waiting_count:
            return failed(f"{waiting_count} payments are still in {names.queue!r}: every delivery needs a "
                          "basic_ack or a basic_nack(requeue=False) (a requeued poison message comes back forever)")
        problem = _judge_parked(rabbit_io.drain(judge, names.parked, max_messages=parked_count + 10), names)
        if problem:
            return failed(problem)
        good = len(payments()) - len(poison_ids())
        return passed(f"{names.queue} dead-letters into {names.parked}: the {len(poison_ids())} poison messages "
                      f"are parked with x-death reason 'rejected', the {good} good payments were acked")
    finally:
        if judge.connection.is_open:
            judge.connection.close()
