"""Notebook 05's broker exercise: the checker reads the real topic back and rejects wrong producers."""

from __future__ import annotations

import pytest
from verdicts import assert_verdicts

from helpers.exercises import kafka_live as checks

pytestmark = pytest.mark.live


def send_by_account(producer, topic, events) -> None:
    """The lesson's answer: the account id as the key, then flush."""
    for event in events:
        producer.send(topic, key=event.account_id, value=event)
    producer.flush()


def without_flush(producer, topic, events) -> None:
    for event in events:
        producer.send(topic, key=event.account_id, value=event)


def without_key(producer, topic, events) -> None:
    for event in events:
        producer.send(topic, value=event)
    producer.flush()


def round_robin(producer, topic, events) -> None:
    for i, event in enumerate(events):
        producer.send(topic, key=event.account_id, value=event, partition=i % checks.KEYED_PARTITIONS)
    producer.flush()


def twice(producer, topic, events) -> None:
    send_by_account(producer, topic, events)
    send_by_account(producer, topic, events[:1])


def newest_first(producer, topic, events) -> None:
    send_by_account(producer, topic, list(reversed(events)))


def test_keyed_producer(capsys) -> None:
    assert_verdicts(capsys, checks.check_keyed_producer, send_by_account,
                    without_flush, without_key, round_robin, twice, newest_first)


@pytest.mark.parametrize(("answer", "says"), [
    (without_flush, "flush()"), (without_key, "key=event.account_id"), (round_robin, "do not pass partition="),
    (twice, "more than once"), (newest_first, "not in the order"),
])
def test_keyed_producer_says_what_is_wrong(capsys, answer, says) -> None:
    assert not checks.check_keyed_producer(answer)
    assert says in capsys.readouterr().out
