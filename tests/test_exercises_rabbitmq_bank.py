"""Exercise 08.3's live checker against the real RabbitMQ: a right dead-letter setup passes, each wrong one is named."""

from __future__ import annotations

import pytest
from verdicts import stub

from helpers import banking, rabbit_io
from helpers.exercises import rabbitmq_bank as ex

NAMES = ex.Names(queue="test08.ex.payments", parking_exchange="test08.ex.dead-letters", parked="test08.ex.parked")


def declare(channel, queue, parking_exchange, parked):
    """The reference topology, written out as a learner would."""
    channel.exchange_declare(parking_exchange, exchange_type="fanout", durable=True)
    channel.queue_declare(parked, durable=True)
    channel.queue_bind(parked, parking_exchange)
    channel.queue_declare(queue, durable=True, arguments={"x-dead-letter-exchange": parking_exchange})


def handle_with(on_poison, on_good="ack"):
    """A bounded consumer that treats poison and good payments as told ("ack", "nack", "requeue" or "leave")."""

    def handle(channel, queue):
        with rabbit_io.consuming(channel, queue, inactivity_timeout=0.5) as deliveries:
            for count, (method, _properties, body) in enumerate(deliveries):
                if method is None or count >= len(ex.payments()):
                    break
                try:
                    banking.from_json(body)
                    action = on_good
                except banking.MalformedEvent:
                    action = on_poison
                if action == "ack":
                    channel.basic_ack(method.delivery_tag)
                elif action in ("nack", "requeue"):
                    channel.basic_nack(method.delivery_tag, requeue=action == "requeue")  # a learner's answer: requeue is the wrong one

    return handle


def without_dead_letter_argument(channel, queue, parking_exchange, parked):
    """Everything but the queue argument that makes the broker dead-letter."""
    declare(channel, f"{queue}.unused", parking_exchange, parked)
    channel.queue_declare(queue, durable=True)


def unbound_parking(channel, queue, parking_exchange, parked):
    """The parking queue exists but the exchange does not route to it."""
    channel.exchange_declare(parking_exchange, exchange_type="fanout", durable=True)
    channel.queue_declare(parked, durable=True)
    channel.queue_declare(queue, durable=True, arguments={"x-dead-letter-exchange": parking_exchange})


def missing_exchange(channel, queue, parking_exchange, parked):
    """The queue names a dead-letter exchange nobody declared."""
    channel.queue_declare(parked, durable=True)
    channel.queue_declare(queue, durable=True, arguments={"x-dead-letter-exchange": parking_exchange})


@pytest.fixture
def clean():
    """Delete the test's queues and exchange afterwards."""
    yield
    channel = rabbit_io.open_channel()
    rabbit_io.reset(channel, exchanges=[NAMES.parking_exchange],
                    queues=[NAMES.queue, NAMES.parked, f"{NAMES.queue}.unused"])
    channel.connection.close()


def verdict(capsys, declare_answer, handle_answer) -> tuple[bool, str]:
    """Run the checker on the test's names; (correct?, what it printed)."""
    correct = bool(ex.check_dead_letter_setup(declare_answer, handle_answer, names=NAMES))
    return correct, capsys.readouterr().out


def test_the_payments_hold_two_poison_messages_that_never_parse():
    bodies = dict(ex.payments())
    assert len(bodies) == 6 and ex.poison_ids() == {"poison-comma", "poison-not-json"}
    for message_id, body in bodies.items():
        if message_id in ex.poison_ids():
            with pytest.raises(banking.MalformedEvent):
                banking.from_json(body)
        else:
            assert banking.from_json(body).account_id == "ACC-001"


@pytest.mark.live
def test_a_right_setup_passes_and_the_parked_messages_are_checked_on_the_broker(capsys, clean):
    correct, out = verdict(capsys, declare, handle_with(on_poison="nack"))
    assert correct and "✅" in out and "x-death reason 'rejected'" in out, out
    again, out = verdict(capsys, declare, handle_with(on_poison="nack"))  # re-running the cell starts over
    assert again, out


@pytest.mark.live
@pytest.mark.parametrize(("declare_answer", "expected"), [
    (without_dead_letter_argument, "has no 'x-dead-letter-exchange' argument"),
    (unbound_parking, "has no binding to 'test08.ex.parked'"),
    (missing_exchange, "which does not exist"),
])
def test_a_wrong_topology_is_named(capsys, clean, declare_answer, expected):
    correct, out = verdict(capsys, declare_answer, handle_with(on_poison="nack"))
    assert not correct and "❌" in out and expected in out, out


@pytest.mark.live
@pytest.mark.parametrize(("handle_answer", "expected"), [
    (handle_with(on_poison="ack"), "poison messages missing"),  # the poison is swallowed
    (handle_with(on_poison="nack", on_good="nack"), "good payments were parked"),
    (handle_with(on_poison="leave"), "are still in 'test08.ex.payments'"),  # never acked nor nacked
    (handle_with(on_poison="requeue"), "are still in 'test08.ex.payments'"),  # requeued: never parked
])
def test_a_wrong_consumer_is_named(capsys, clean, handle_answer, expected):
    correct, out = verdict(capsys, declare, handle_answer)
    assert not correct and "❌" in out and expected in out, out


@pytest.mark.live
def test_the_stubs_are_not_attempted_and_a_broker_error_is_reported_kindly(capsys, clean):
    correct, out = verdict(capsys, stub, stub)
    assert not correct and "Not attempted yet" in out, out

    def redeclare_differently(channel, queue, parking_exchange, parked):
        declare(channel, queue, parking_exchange, parked)
        channel.queue_declare(queue, durable=True)  # other arguments: the broker refuses (406) and closes the channel

    correct, out = verdict(capsys, redeclare_differently, handle_with(on_poison="nack"))
    assert not correct and "PRECONDITION_FAILED" in out, out
