"""Broker errors a learner can act on: each names the broker and the fix; other errors are left alone."""

from __future__ import annotations

import kafka.errors
import pika.exceptions
import pytest
import redis

from helpers import clients, recovery


@pytest.mark.parametrize(("error", "words"), [
    (pika.exceptions.ChannelWrongStateError("Channel is closed."), ["RabbitMQ channel is closed", "Setup cell"]),
    (pika.exceptions.StreamLostError("Stream connection lost: ConnectionResetError(104)"),
     ["RabbitMQ connection lost", "make status", "make up", "Setup cell"]),
    (pika.exceptions.ChannelClosedByBroker(406, "PRECONDITION_FAILED"), ["406 PRECONDITION_FAILED", "Setup cell"]),
    (kafka.errors.KafkaTimeoutError("Failed to update metadata after 10.0 secs."),
     ["Kafka did not answer", "make status", "Setup cell"]),
    (kafka.errors.KafkaConnectionError("connection refused"), ["Kafka did not answer", "make up"]),
    (redis.ConnectionError("Connection refused"), ["Redis connection lost", "make up"]),
    (kafka.errors.IllegalStateError("KafkaConsumer is closed"), ["client was closed", "re-run the cell that creates it"]),
])
def test_broker_errors_name_the_broker_and_the_fix(error: BaseException, words: list[str]) -> None:
    advice = recovery.explain(error)
    assert advice is not None
    for word in words:
        assert word in advice


@pytest.mark.parametrize("error", [ValueError("x"), KeyError("k"), kafka.errors.IllegalStateError("No current assignment"),
                                   clients.BrokerUnavailable("Kafka", "127.0.0.1:9092", "refused")])
def test_other_errors_and_errors_that_already_say_the_fix_get_no_advice(error: BaseException) -> None:
    assert recovery.explain(error) is None


def test_the_hook_is_a_no_op_outside_ipython() -> None:
    assert recovery.explain_broker_errors() is False
