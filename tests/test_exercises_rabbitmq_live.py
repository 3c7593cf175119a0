"""Exercise 07.5's checker on the real broker: the right declare-and-bind passes, each wrong one gets its own feedback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from verdicts import stub

from helpers import rabbit_io
from helpers.exercises import rabbitmq_live as ex

pytestmark = pytest.mark.live

Answer = Callable[..., None]


@pytest.fixture
def names() -> Iterator[tuple[str, str]]:
    """A queue and an exchange of this test's own, deleted afterwards."""
    tag = uuid.uuid4().hex[:8]
    queue, exchange = f"test.ex5.{tag}", f"test.ex5-x.{tag}"
    yield queue, exchange
    with rabbit_io.connect() as connection:
        rabbit_io.reset(connection.channel(), exchanges=[exchange], queues=[queue])


def binds(*keys: str, durable: bool = True, on: str | None = None) -> Answer:
    """An answer that declares the queue (durable, else exclusive) and binds it with `keys` (to `on` if given)."""

    def answer(channel, queue: str, exchange: str) -> None:
        if durable:
            channel.queue_declare(queue, durable=True)
        else:
            channel.queue_declare(queue, exclusive=True)
        for key in keys:
            channel.queue_bind(queue, exchange=on or exchange, routing_key=key)

    return answer


def verdict(answer: Answer, names: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[bool, str]:
    """The checker's verdict on `answer` and the line it printed."""
    queue, exchange = names
    result = ex.check_card_debit_queue(answer, queue, exchange)
    return bool(result), capsys.readouterr().out


def test_the_right_binding_passes(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.debit.#"), names, capsys)
    assert ok and "✅" in out, out


def test_two_exact_bindings_pass_too(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.debit", "txn.card.debit.*"), names, capsys)
    assert ok, out


def test_the_stub_is_not_attempted(names, capsys) -> None:
    ok, out = verdict(stub, names, capsys)
    assert not ok and "Not attempted" in out, out


def test_no_queue_is_named(names, capsys) -> None:
    ok, out = verdict(lambda channel, queue, exchange: None, names, capsys)
    assert not ok and "there is no queue" in out, out


def test_a_queue_without_a_binding_is_named(names, capsys) -> None:
    ok, out = verdict(binds(), names, capsys)
    assert not ok and "has no binding on" in out and "no bindings" in out, out


def test_a_binding_on_another_exchange_is_shown(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.debit.#", on="amq.topic"), names, capsys)
    assert not ok and "has no binding on" in out and "amq.topic" in out, out


def test_star_misses_the_longer_key(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.*"), names, capsys)  # also lets credits in, but first misses .eur
    assert not ok and "'txn.card.debit.eur' did not reach" in out, out


def test_an_exact_key_misses_the_longer_key(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.debit"), names, capsys)
    assert not ok and "'txn.card.debit.eur' did not reach" in out, out


def test_a_broad_pattern_lets_credits_in(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.#"), names, capsys)
    assert not ok and "'txn.card.credit' reached" in out, out


def test_a_leading_hash_lets_other_first_words_in(names, capsys) -> None:
    ok, out = verdict(binds("#.card.debit.#"), names, capsys)
    assert not ok and "'audit.txn.card.debit' reached" in out, out


def test_an_exclusive_queue_is_not_durable(names, capsys) -> None:
    ok, out = verdict(binds("txn.card.debit.#", durable=False), names, capsys)
    assert not ok and "is not durable" in out, out


def test_a_refused_call_is_reported_not_raised(names, capsys) -> None:
    def binds_to_a_missing_exchange(channel, queue: str, exchange: str) -> None:
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, exchange=f"{exchange}.missing", routing_key="txn.card.debit.#")

    ok, out = verdict(binds_to_a_missing_exchange, names, capsys)
    assert not ok and "ChannelClosedByBroker" in out and "404" in out, out


def test_a_queue_that_already_holds_messages_is_refused(names, capsys) -> None:
    def publishes_too(channel, queue: str, exchange: str) -> None:
        binds("txn.card.debit.#")(channel, queue, exchange)
        channel.confirm_delivery()  # so the message is in the queue before the checker looks
        channel.basic_publish("", queue, b"not a probe")

    ok, out = verdict(publishes_too, names, capsys)
    assert not ok and "already holds 1 message" in out, out


def test_a_rerun_starts_from_a_fresh_queue(names, capsys) -> None:
    assert not verdict(binds("txn.card.#"), names, capsys)[0]
    ok, out = verdict(binds("txn.card.debit.#"), names, capsys)  # the earlier wrong binding is gone
    assert ok, out
