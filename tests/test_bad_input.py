"""Bad input at every entry point a learner or a message reaches: a clear, specific error, nothing stored
is lost or changed, and nothing hangs.

Commands go through `banking.decide` (and the event store behind it); messages come off a Kafka topic or a
RabbitMQ queue (`badinput-...` names on the course's brokers, deleted afterwards) and go through
`banking.from_json` into an idempotent projection; configuration goes through `clients`, `kafka_io` and
`rabbit_io`. Every broker-facing test runs under a SIGALRM deadline, so a hang fails instead of blocking.
"""

from __future__ import annotations

import copy
import secrets
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pika
import pytest
from kafka.errors import KafkaTimeoutError

from helpers import banking, clients, config, kafka_io, rabbit_io
from helpers.eventstore import ConcurrencyError, EventStore
from helpers.projection import ApplyOnce
from tooling.stack import probe

AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
DEADLINE_S = 30  # no test here may take longer: a hang is a failure
FAST_S = 20.0  # a broker-config error must surface within this: generous, and under kafka-python's 30 s bootstrap


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail the test (instead of hanging the suite) if it runs longer than DEADLINE_S."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"test still running after {DEADLINE_S} s: something hangs")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(DEADLINE_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def bank_events() -> list[banking.Event]:
    """Two open accounts (ACC-001 with 100.00, ACC-002 empty) and a closed one, built through decide."""
    events: list[banking.Event] = []
    commands = [banking.CreateAccount("ACC-001", "Alice"), banking.DepositMoney("ACC-001", Decimal("100.00")),
                banking.CreateAccount("ACC-002", "Bob"), banking.CreateAccount("ACC-003", "Carol"),
                banking.CloseAccount("ACC-003")]
    for number, command in enumerate(commands, start=1):
        events.extend(banking.decide(banking.replay_all(events), command, at=AT, event_id=f"ev-{number}"))
    return events


@pytest.fixture
def bank() -> dict[str, banking.Account]:
    """The accounts of bank_events()."""
    return banking.replay_all(bank_events())


# --------------------------------------------------------------------------------------------- commands

REFUSED = [
    (banking.DepositMoney("ACC-001", Decimal("0")), banking.NonPositiveAmount, "greater than zero, got 0.00"),
    (banking.DepositMoney("ACC-001", Decimal("-5")), banking.NonPositiveAmount, "greater than zero, got -5.00"),
    (banking.WithdrawMoney("ACC-001", Decimal("-0.01")), banking.NonPositiveAmount, "got -0.01"),
    (banking.TransferFunds("ACC-001", "ACC-002", Decimal("0")), banking.NonPositiveAmount, "greater than zero"),
    (banking.DepositMoney("ACC-001", "abc"), ValueError, "not an amount of money: 'abc'"),
    (banking.DepositMoney("ACC-001", "NaN"), ValueError, "not an amount of money: 'NaN'"),
    (banking.DepositMoney("ACC-001", "12,50"), ValueError, "write it like '12.50'"),
    (banking.DepositMoney("ACC-001", 12.5), TypeError, "not float"),
    (banking.DepositMoney("ACC-001", None), ValueError, "not an amount of money: None"),
    (banking.WithdrawMoney("ACC-001", Decimal("100.01")), banking.InsufficientFunds,
     "has 100.00, cannot take 100.01"),
    (banking.TransferFunds("ACC-002", "ACC-001", Decimal("1")), banking.InsufficientFunds, "has 0.00, cannot take 1.00"),
    (banking.DepositMoney("ACC-404", Decimal("1")), banking.UnknownAccount, "account ACC-404 does not exist"),
    (banking.WithdrawMoney("ACC-404", Decimal("1")), banking.UnknownAccount, "ACC-404 does not exist"),
    (banking.TransferFunds("ACC-001", "ACC-404", Decimal("1")), banking.UnknownAccount, "ACC-404 does not exist"),
    (banking.TransferFunds("ACC-404", "ACC-001", Decimal("1")), banking.UnknownAccount, "ACC-404 does not exist"),
    (banking.CloseAccount("ACC-404"), banking.UnknownAccount, "ACC-404 does not exist"),
    (banking.CreateAccount("ACC-001", "Mallory"), banking.AccountAlreadyExists, "ACC-001 already exists"),
    (banking.TransferFunds("ACC-001", "ACC-001", Decimal("10")), banking.SameAccountTransfer,
     "from ACC-001 to itself"),
    (banking.DepositMoney("ACC-003", Decimal("1")), banking.AccountIsClosed, "ACC-003 is closed"),
    (banking.TransferFunds("ACC-001", "ACC-003", Decimal("1")), banking.AccountIsClosed, "ACC-003 is closed"),
    (banking.CloseAccount("ACC-001"), banking.NonZeroBalance, "still holds 100.00"),
]


@pytest.mark.parametrize(("command", "error", "text"), REFUSED, ids=[f"{type(c).__name__}-{i}" for i, (c, *_) in
                                                                   enumerate(REFUSED)])
def test_decide_refuses_bad_commands_clearly_and_changes_nothing(bank, command, error, text) -> None:
    before = copy.deepcopy(bank)
    with pytest.raises(error) as caught:
        banking.decide(bank, command, at=AT, event_id="ev-bad")
    assert text in str(caught.value)
    assert bank == before


def test_decide_refuses_something_that_is_not_a_command(bank) -> None:
    with pytest.raises(TypeError, match="not a command"):
        banking.decide(bank, "deposit 10", at=AT, event_id="ev-bad")  # type: ignore[arg-type]


def test_refused_commands_leave_the_event_store_as_it_was(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "bank.sqlite")
    for event in bank_events():
        store.append(event.account_id, [event], expected_version=store.version(event.account_id))
    before = store.read_all()
    for command, error, _ in REFUSED:
        state = banking.replay_all(stored.event for stored in store.read_all())
        with pytest.raises(error):
            store.append_batch([(e.account_id, state[e.account_id].version if e.account_id in state else 0, [e])
                                for e in banking.decide(state, command, at=AT, event_id="e-bad")])
    assert store.read_all() == before
    assert banking.replay(store.read_stream("ACC-001")).balance == Decimal("100.00")
    store.close()


def test_event_store_refuses_stale_and_duplicate_writes_without_losing_anything(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "bank.sqlite")
    created = banking.AccountCreated("e1", "ACC-001", AT, "Alice")
    deposit = banking.MoneyDeposited("e2", "ACC-001", AT, Decimal("100.00"))
    store.append("ACC-001", [created, deposit], expected_version=0)
    before = store.read_all()
    stale = banking.MoneyWithdrawn("e3", "ACC-001", AT, Decimal("40.00"))
    with pytest.raises(ConcurrencyError, match="at version 2, not 1: reload it"):
        store.append("ACC-001", [stale], expected_version=1)
    with pytest.raises(ConcurrencyError, match="conflicting append"):  # the same event id twice
        store.append("ACC-001", [banking.MoneyDeposited("e2", "ACC-001", AT, Decimal("5.00"))], expected_version=2)
    other = banking.AccountCreated("e4", "ACC-002", AT, "Bob")
    with pytest.raises(ConcurrencyError):  # all or nothing: the good half of the batch is not stored either
        store.append_batch([("ACC-002", 0, [other]), ("ACC-001", 0, [stale])])
    assert store.read_all() == before and store.version("ACC-002") == 0
    store.close()


# --------------------------------------------------------------------------------------------- messages

GOOD = banking.MoneyDeposited("ev-good", "ACC-001", AT, Decimal("10.00"))
MALFORMED = [
    (b"\xff\xfe", "not JSON"),
    (b"deposit 10 into ACC-001", "not JSON"),
    (b"", "not JSON"),
    (b"[1, 2]", "must be a JSON object, got list"),
    (b'{"type": "MoneyPrinted", "event_id": "x"}', "unknown event type 'MoneyPrinted'"),
    (b'{"event_id": "x"}', "unknown event type None"),
    (b'{"type": "MoneyDeposited", "event_id": "x", "account_id": "ACC-001", "amount": "1.00"}',
     "missing the field 'occurred_at'"),
    (b'{"type": "MoneyDeposited", "event_id": "x", "account_id": "ACC-001", "occurred_at": "2026-01-05T09:30:00+00:00",'
     b' "amount": 12.5}', "amount must be a string like"),
    (b'{"type": "MoneyDeposited", "event_id": "x", "account_id": "ACC-001", "occurred_at": "2026-01-05T09:30:00+00:00",'
     b' "amount": "lots"}', "amount is not a number: 'lots'"),
    (b'{"type": "MoneyDeposited", "event_id": "x", "account_id": "ACC-001", "occurred_at": "2026-01-05T09:30:00",'
     b' "amount": "1.00"}', "has no timezone"),
    (b'{"type": "MoneyDeposited", "event_id": "x", "account_id": "ACC-001", "occurred_at": "yesterday",'
     b' "amount": "1.00"}', "not an ISO 8601 timestamp"),
    (b'{"type": "MoneyDeposited", "event_id": 7, "account_id": "ACC-001", "occurred_at": "2026-01-05T09:30:00+00:00",'
     b' "amount": "1.00"}', "event_id must be a string, got int"),
    (b'{"type": "MoneyDeposited", "event_id": "x", "account_id": "ACC-001", "occurred_at": "2026-01-05T09:30:00+00:00",'
     b' "amount": "1.00", "admin": "yes"}', "unexpected fields: admin"),
]


@pytest.mark.parametrize(("payload", "text"), MALFORMED)
def test_malformed_payloads_raise_malformed_event_saying_what_is_wrong(payload: bytes, text: str) -> None:
    with pytest.raises(banking.MalformedEvent, match=None) as caught:
        banking.from_json(payload)
    assert text in str(caught.value)


def projection_with_one_account() -> ApplyOnce:
    """An idempotent projection already holding ACC-001 with 100.00."""
    projection = ApplyOnce()
    projection.apply(banking.AccountCreated("ev-1", "ACC-001", AT, "Alice"))
    projection.apply(banking.MoneyDeposited("ev-2", "ACC-001", AT, Decimal("100.00")))
    return projection


def handle(projection: ApplyOnce, payload: bytes, parked: list[tuple[bytes, str]]) -> None:
    """The consumer-side handler the notebooks use: parse, apply once; park what cannot be parsed or applied."""
    try:
        projection.apply(banking.from_json(payload))
    except (banking.MalformedEvent, ValueError) as error:
        parked.append((payload, f"{type(error).__name__}: {error}"))


def test_an_event_out_of_order_is_refused_and_the_projection_is_unchanged() -> None:
    projection = projection_with_one_account()
    before = projection.balances()
    orphan = banking.MoneyDeposited("ev-9", "ACC-404", AT, Decimal("5.00"))
    with pytest.raises(ValueError, match="comes before AccountCreated for ACC-404"):
        projection.apply(orphan)
    assert projection.balances() == before and projection.applied == 2


@pytest.mark.live
def test_malformed_and_unknown_messages_on_a_kafka_topic_are_parked_with_their_reason() -> None:
    topic = f"badinput-{uuid.uuid4().hex[:8]}"
    kafka_io.reset_topics({topic: 1})
    try:
        with kafka_io.producer() as producer:
            for payload, _ in MALFORMED:
                producer.send(topic, payload)
            producer.send(topic, banking.to_json(GOOD).encode())
            producer.send(topic, banking.to_json(GOOD).encode())  # a redelivery: applied once
            producer.flush(timeout=10)
        consumer = kafka_io.consumer(topic, group_id=f"{topic}-group", enable_auto_commit=False)
        records = kafka_io.consume(consumer, max_records=len(MALFORMED) + 2, timeout_s=20)
        consumer.close()
    finally:
        kafka_io.delete_topics([topic])
    assert len(records) == len(MALFORMED) + 2
    projection, parked = projection_with_one_account(), []
    for record in records:
        handle(projection, record.value, parked)
    assert [payload for payload, _ in parked] == [payload for payload, _ in MALFORMED]
    for (_, reason), (_, text) in zip(parked, MALFORMED, strict=True):
        assert reason.startswith("MalformedEvent: ") and text in reason
    assert projection.balances() == {"ACC-001": Decimal("110.00")}
    assert (projection.applied, projection.duplicates) == (3, 1)


@pytest.mark.live
def test_malformed_messages_on_a_rabbitmq_queue_are_dead_lettered_with_their_reason() -> None:
    queue = f"badinput-{uuid.uuid4().hex[:8]}"
    parking = f"{queue}.parked"
    channel = rabbit_io.open_channel()
    try:
        channel.confirm_delivery()
        channel.queue_declare(parking, durable=True)
        channel.queue_declare(queue, durable=True)
        for payload, _ in MALFORMED:
            channel.basic_publish("", queue, payload)
        channel.basic_publish("", queue, banking.to_json(GOOD).encode())
        projection, parked = projection_with_one_account(), []
        for message in rabbit_io.drain(channel, queue, max_messages=len(MALFORMED) + 1, ack=False):
            before = len(parked)
            handle(projection, message.body, parked)
            if len(parked) > before:  # park it with the reason, then let go of the original
                headers = {"x-error": parked[-1][1], "x-original-queue": queue}
                channel.basic_publish("", parking, message.body, pika.BasicProperties(headers=headers))
            channel.basic_ack(message.method.delivery_tag)
        assert rabbit_io.depth(channel, queue) == 0
        dead = rabbit_io.drain(channel, parking, max_messages=100)
    finally:
        rabbit_io.reset(channel, queues=[queue, parking])
        channel.connection.close()
    assert [m.body for m in dead] == [payload for payload, _ in MALFORMED]
    for message, (_, text) in zip(dead, MALFORMED, strict=True):
        assert text in message.properties.headers["x-error"]
    assert projection.balances() == {"ACC-001": Decimal("110.00")}


# --------------------------------------------------------------------------------------------- config


def fails_fast(call, error: type[Exception] = clients.BrokerUnavailable) -> str:
    """Run `call`, expect `error` within FAST_S seconds, return its message."""
    started = time.monotonic()
    with pytest.raises(error) as caught:
        call()
    assert time.monotonic() - started < FAST_S, f"took {time.monotonic() - started:.1f} s"
    return str(caught.value)


KAFKA_CASES = [
    ("no-such-host.invalid:9092", "unknown host 'no-such-host.invalid'"),
    ("127.0.0.1:1", "Kafka is not reachable at 127.0.0.1:1"),
    ("kafka-without-port", "expected an address like 127.0.0.1:9092"),
    ("127.0.0.1:not-a-port", "expected an address like 127.0.0.1:9092"),
    ("", "expected an address like 127.0.0.1:9092, got ''"),
]


@pytest.mark.parametrize(("servers", "text"), KAFKA_CASES)
@pytest.mark.parametrize("factory", ["producer", "consumer", "admin"])
def test_wrong_kafka_address_fails_fast_naming_kafka_and_the_fix(monkeypatch, servers, text, factory) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", servers)
    message = fails_fast(getattr(kafka_io, factory))
    assert "Kafka" in message and text in message
    assert "make up" in message or "export KAFKA_BOOTSTRAP_SERVERS" in message


@pytest.mark.live
def test_kafka_pointed_at_a_port_that_is_not_kafka_fails_fast(monkeypatch) -> None:
    # The TCP check passes (RabbitMQ answers there); the Kafka client's bounded bootstrap then gives up.
    settings = config.load()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"{settings.rabbitmq_host}:{settings.rabbitmq_port}")
    message = fails_fast(kafka_io.producer, KafkaTimeoutError)
    assert f"Unable to bootstrap from {settings.rabbitmq_host}:{settings.rabbitmq_port}" in message


def rabbitmq_url(user: str = "guest", password: str = "guest", host: str = "", port: str = "",
                 vhost: str = "%2F") -> str:
    """The configured RabbitMQ URL with some parts replaced."""
    settings = config.load()
    return f"amqp://{user}:{password}@{host or settings.rabbitmq_host}:{port or settings.rabbitmq_port}/{vhost}"


RABBIT_CASES = [
    (lambda: rabbitmq_url(host="no-such-host.invalid"), "unknown host 'no-such-host.invalid'", "make up"),
    (lambda: rabbitmq_url(host="127.0.0.1", port="1"), "RabbitMQ is not reachable at 127.0.0.1:1", "make up"),
    (lambda: rabbitmq_url(port="not-a-port"), "bad RABBITMQ_URL", "export RABBITMQ_URL="),
    (lambda: "http://guest:guest@127.0.0.1:5672/", "must start with amqp://, got http://", "export RABBITMQ_URL="),
    (lambda: "127.0.0.1:5672", "must start with amqp://", "export RABBITMQ_URL="),
    (lambda: "", "must start with amqp://, got no scheme", "export RABBITMQ_URL="),
    pytest.param(lambda: rabbitmq_url(vhost="badinput-no-such-vhost"),  # the broker itself refuses
                 "refused access to the virtual host 'badinput-no-such-vhost'", "%2F is the default one",
                 marks=pytest.mark.live),
    pytest.param(lambda: rabbitmq_url(port=str(config.load().kafka_port), host=config.load().kafka_host),
                 "the AMQP handshake failed", "make up", marks=pytest.mark.live),  # Kafka answers, not in AMQP
]


@pytest.mark.parametrize(("url", "text", "fix"), RABBIT_CASES, ids=["unknown-host", "closed-port", "bad-port",
                                                                    "http-scheme", "no-scheme", "empty", "unknown-vhost",
                                                                    "not-amqp"])
@pytest.mark.parametrize("entry", ["require_rabbitmq", "connect"])
def test_wrong_rabbitmq_url_fails_fast_naming_rabbitmq_and_the_fix(monkeypatch, url, text, fix, entry) -> None:
    monkeypatch.setenv("RABBITMQ_URL", url())
    call = clients.require_rabbitmq if entry == "require_rabbitmq" else rabbit_io.connect
    message = fails_fast(call)
    assert "RabbitMQ" in message and text in message and fix in message


@pytest.mark.live
@pytest.mark.parametrize("entry", ["require_rabbitmq", "connect", "open_channel"])
def test_bad_rabbitmq_credentials_are_named_as_such_without_printing_the_password(monkeypatch, entry) -> None:
    password = secrets.token_hex(8)  # generated: no credential other than guest:guest lives in the repo
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url(password=password))
    call = {"require_rabbitmq": clients.require_rabbitmq, "connect": rabbit_io.connect,
            "open_channel": rabbit_io.open_channel}[entry]
    started = time.monotonic()
    with pytest.raises(clients.BrokerRefused) as caught:
        call()
    assert time.monotonic() - started < FAST_S
    message = str(caught.value)
    assert "RabbitMQ refused the credentials in RABBITMQ_URL (user 'guest')" in message
    assert "Fix: put the right user and password in RABBITMQ_URL" in message and password not in message
    assert isinstance(caught.value, clients.BrokerUnavailable)  # existing `except BrokerUnavailable` still catch it


def test_redact_hides_the_password_only() -> None:
    assert clients.redact("amqp://guest:guest@h:1/%2F") == "amqp://guest:***@h:1/%2F"
    assert clients.redact("amqp://h:1/%2F") == "amqp://h:1/%2F"


@pytest.mark.live
def test_the_configured_brokers_still_answer_after_all_of_this() -> None:
    assert clients.require_rabbitmq().rabbitmq_url == config.load().rabbitmq_url
    assert probe.kafka_round_trip().ok and probe.rabbitmq_round_trip().ok


@pytest.mark.live
def test_kafka_client_factories_let_the_caller_override_their_defaults() -> None:
    # A learner (or a fault test) tuning a default timeout used to get "got multiple values for keyword argument".
    with kafka_io.producer(max_block_ms=20_000, request_timeout_ms=15_000) as producer:
        assert (producer.config["max_block_ms"], producer.config["request_timeout_ms"]) == (20_000, 15_000)
    with kafka_io.admin(request_timeout_ms=15_000) as client:
        assert client.config["request_timeout_ms"] == 15_000
