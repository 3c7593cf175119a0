"""helpers.rabbit_io against the live RabbitMQ: reset, bounded drain, routing, redelivery, dead letters."""

from __future__ import annotations

import time

import pika
import pytest

from helpers import config, rabbit_io
from helpers.clients import BrokerUnavailable
from helpers.exercises import rabbitmq as exercises

PREFIX = "test.rabbit."
QUEUES = [f"{PREFIX}{name}" for name in ("a", "b", "c", "work", "dead")] + [f"{PREFIX}t{i}" for i in range(10)]
EXCHANGES = [f"{PREFIX}{name}" for name in ("direct", "fanout", "topic", "headers", "dlx")]
# Time bounds for a loaded 2-core machine: generous, yet well below what the bug each one guards against costs.
FAIL_FAST_S = 20  # a missing broker must be named long before anyone gives up waiting
SLACK_S = 30  # how long a loaded machine may stall a call beyond what it was asked to wait


@pytest.fixture
def channel():
    """A channel on a fresh connection, with this module's queues and exchanges deleted before and after."""
    channel = rabbit_io.open_channel()
    rabbit_io.reset(channel, exchanges=EXCHANGES, queues=QUEUES)
    yield channel
    if channel.connection.is_open:
        cleanup = channel.connection.channel()
        rabbit_io.reset(cleanup, exchanges=EXCHANGES, queues=QUEUES)
        channel.connection.close()


def declare_queues(channel, names=("a", "b", "c")) -> list[str]:
    """Durable test queues, declared empty."""
    queues = [f"{PREFIX}{name}" for name in names]
    for queue in queues:
        channel.queue_declare(queue, durable=True)
    return queues


@pytest.mark.live
def test_reset_leaves_nothing_behind(channel):
    queue, exchange = QUEUES[0], EXCHANGES[0]
    channel.exchange_declare(exchange, "direct", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.basic_publish("", queue, b"left over")
    assert rabbit_io.exists(channel, queue=queue) and rabbit_io.exists(channel, exchange=exchange)

    assert rabbit_io.reset(channel, exchanges=[exchange], queues=[queue]) == sorted([queue, exchange])

    assert not rabbit_io.exists(channel, queue=queue)
    assert not rabbit_io.exists(channel, exchange=exchange)
    assert rabbit_io.reset(channel, exchanges=[exchange], queues=[queue])  # missing names are fine


@pytest.mark.live
def test_drain_stops_on_count_then_on_inactivity(channel):
    (queue,) = declare_queues(channel, ["a"])
    for number in range(5):
        channel.basic_publish("", queue, str(number).encode())
    channel.basic_qos(prefetch_count=1)

    first = rabbit_io.drain(channel, queue, max_messages=3, inactivity_timeout_s=5.0)
    assert [m.body for m in first] == [b"0", b"1", b"2"]
    # (a fourth delivery may already be on its way; cancel() hands it back, so no depth check here)

    started = time.monotonic()
    rest = rabbit_io.drain(channel, queue, max_messages=100, inactivity_timeout_s=0.3)
    assert [m.body for m in rest] == [b"3", b"4"]
    assert time.monotonic() - started < 0.3 + SLACK_S
    assert rabbit_io.queue_depths(channel, [queue]).to_dict("records") == [
        {"queue": queue, "messages": 0, "consumers": 0}
    ]


@pytest.mark.live
def test_drain_on_an_empty_queue_returns_after_the_timeout(channel):
    (queue,) = declare_queues(channel, ["a"])
    started = time.monotonic()
    assert rabbit_io.drain(channel, queue, inactivity_timeout_s=0.2) == []
    assert time.monotonic() - started < 0.2 + SLACK_S


@pytest.mark.live
def test_direct_exchange_routes_by_exact_key(channel):
    exchange = f"{PREFIX}direct"
    a, b, c = declare_queues(channel)
    channel.exchange_declare(exchange, "direct", durable=True)
    channel.queue_bind(a, exchange, routing_key="debit")
    channel.queue_bind(b, exchange, routing_key="credit")
    channel.queue_bind(c, exchange, routing_key="debit")
    table = rabbit_io.route_table(channel, exchange, [a, b, c], ["debit", "credit", "refund"])
    assert table.to_dict("index") == {
        "debit": {a: "✓", b: "", c: "✓"},
        "credit": {a: "", b: "✓", c: ""},
        "refund": {a: "", b: "", c: ""},
    }


@pytest.mark.live
def test_fanout_exchange_ignores_the_key(channel):
    exchange = f"{PREFIX}fanout"
    queues = declare_queues(channel)
    channel.exchange_declare(exchange, "fanout", durable=True)
    for queue in queues:
        channel.queue_bind(queue, exchange, routing_key="ignored")
    table = rabbit_io.route_table(channel, exchange, queues, ["anything", ""])
    assert (table == "✓").all().all()


@pytest.mark.live
def test_topic_exchange_wildcards(channel):
    exchange = f"{PREFIX}topic"
    a, b, c = declare_queues(channel)
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_bind(a, exchange, routing_key="txn.*.debit")
    channel.queue_bind(b, exchange, routing_key="txn.#")
    channel.queue_bind(c, exchange, routing_key="txn.card.*")
    keys = ["txn.card.debit", "txn.atm.debit", "txn.card.credit", "txn.card.debit.eur", "txn", "audit.txn"]
    table = rabbit_io.route_table(channel, exchange, [a, b, c], keys)
    assert table[a].tolist() == ["✓", "✓", "", "", "", ""]
    assert table[b].tolist() == ["✓", "✓", "✓", "✓", "✓", ""]  # '#' also matches zero words
    assert table[c].tolist() == ["✓", "", "✓", "", "", ""]


@pytest.mark.live
def test_the_exercise_reference_matches_the_broker(channel):
    """The topic rule the exercise checkers judge by is the broker's own."""
    exchange = f"{PREFIX}topic"
    channel.exchange_declare(exchange, "topic", durable=True)
    bindings = sorted({binding for binding, _, _ in exercises.TOPIC_CASES})
    queues = declare_queues(channel, [f"t{i}" for i in range(len(bindings))])
    for queue, binding in zip(queues, bindings, strict=True):
        channel.queue_bind(queue, exchange, routing_key=binding)
    keys = sorted({key for _, key, _ in exercises.TOPIC_CASES} | set(exercises.BANK_KEYS))
    table = rabbit_io.route_table(channel, exchange, queues, keys)
    for queue, binding in zip(queues, bindings, strict=True):
        for key in keys:
            assert (table.loc[key, queue] == "✓") == exercises.topic_matches(binding, key), (binding, key)


@pytest.mark.live
def test_headers_exchange_all_versus_any(channel):
    exchange = f"{PREFIX}headers"
    every, some = declare_queues(channel, ["a", "b"])
    channel.exchange_declare(exchange, "headers", durable=True)
    match = {"kind": "debit", "channel": "card"}
    channel.queue_bind(every, exchange, arguments={"x-match": "all", **match})
    channel.queue_bind(some, exchange, arguments={"x-match": "any", **match})
    probes = [{"kind": "debit", "channel": "card"}, {"kind": "debit", "channel": "atm"}, {"kind": "credit"}]
    table = rabbit_io.route_table(channel, exchange, [every, some], probes)
    assert table.index.tolist() == ["kind=debit, channel=card", "kind=debit, channel=atm", "kind=credit"]
    assert table[every].tolist() == ["✓", "", ""]
    assert table[some].tolist() == ["✓", "✓", ""]


@pytest.mark.live
def test_unacked_messages_come_back_redelivered(channel):
    (queue,) = declare_queues(channel, ["work"])
    for number in range(3):
        channel.basic_publish("", queue, str(number).encode())

    crashing = rabbit_io.open_channel()
    crashing.basic_qos(prefetch_count=2)
    taken = rabbit_io.drain(crashing, queue, max_messages=2, ack=False)
    assert [(m.body, m.method.redelivered) for m in taken] == [(b"0", False), (b"1", False)]
    assert rabbit_io.depth(channel, queue) == 1  # two are held, unacked, by the doomed consumer
    crashing.connection.close()  # dies without acking
    assert rabbit_io.wait_for_depth(channel, queue, 3, timeout_s=5) == 3  # both back in the queue

    again = rabbit_io.drain(channel, queue, max_messages=10, inactivity_timeout_s=0.5)
    assert sorted((m.body, m.method.redelivered) for m in again) == [(b"0", True), (b"1", True), (b"2", False)]


@pytest.mark.live
def test_rejected_message_is_dead_lettered_with_x_death(channel):
    work, dead = f"{PREFIX}work", f"{PREFIX}dead"
    dlx = f"{PREFIX}dlx"
    channel.exchange_declare(dlx, "fanout", durable=True)
    channel.queue_declare(dead, durable=True)
    channel.queue_bind(dead, dlx)
    channel.queue_declare(work, durable=True, arguments={"x-dead-letter-exchange": dlx})
    channel.basic_publish("", work, b"poison")

    (message,) = rabbit_io.drain(channel, work, max_messages=1, ack=False)
    channel.basic_nack(message.method.delivery_tag, requeue=False)  # not requeued: dead-lettered, reason rejected
    channel.cancel()

    (dead_letter,) = rabbit_io.drain(channel, dead, max_messages=1, inactivity_timeout_s=2.0)
    assert dead_letter.body == b"poison"
    history = rabbit_io.x_death(dead_letter.properties)
    assert history[["queue", "reason", "count", "routing_keys"]].to_dict("records") == [
        {"queue": work, "reason": "rejected", "count": 1, "routing_keys": work}
    ]


@pytest.mark.live
def test_server_version_is_the_release_rabbitmqctl_reports(channel):
    version = rabbit_io.server_version(channel.connection)
    assert len(version) == 3 and version >= (3, 10, 0), version
    reported = channel.connection._impl.server_properties["version"]
    assert ".".join(map(str, version)) == (reported.decode() if isinstance(reported, bytes) else reported)


@pytest.mark.live
def test_unroutable_mandatory_publish_is_reported(channel):
    channel.confirm_delivery()
    with pytest.raises(pika.exceptions.UnroutableError):
        channel.basic_publish("", f"{PREFIX}no-such-queue", b"lost?", mandatory=True)


@pytest.mark.live
def test_wait_for_depth_gives_up_after_its_timeout(channel):
    (queue,) = declare_queues(channel, ["a"])
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="holds 0 messages, not 1"):
        rabbit_io.wait_for_depth(channel, queue, 1, timeout_s=0.3)
    assert time.monotonic() - started < 0.3 + SLACK_S


def test_closed_port_fails_fast_naming_rabbitmq_and_the_fix(monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:1/%2F")
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as raised:
        rabbit_io.connect()
    assert time.monotonic() - started < FAIL_FAST_S
    message = str(raised.value)
    assert "RabbitMQ" in message and "127.0.0.1:1" in message and "make up" in message


@pytest.mark.live
def test_connect_opens_one_amqp_connection_with_the_client_layers_settings(monkeypatch):
    opened = []
    real = pika.BlockingConnection

    def counting(parameters):
        opened.append(parameters)
        return real(parameters)

    monkeypatch.setattr(pika, "BlockingConnection", counting)
    connection = rabbit_io.connect()
    connection.close()
    assert len(opened) == 1, "one connection per connect(): the login is checked by the connection itself"
    settings = config.load()
    assert opened[0].socket_timeout == opened[0].stack_timeout == settings.connect_timeout_s
    assert (opened[0].connection_attempts, opened[0].heartbeat) == (1, 0)


@pytest.mark.live
def test_publish_windowed_keeps_many_confirms_outstanding(channel):
    queue = declare_queues(channel, names=("work",))[0]
    messages = [(f"m-{i}", b"x") for i in range(60)]
    outstanding = []
    run = rabbit_io.publish_windowed(config.load().rabbitmq_url, queue, messages, window=10, event_at=20,
                                     event=lambda: outstanding.append(rabbit_io.depth(channel, queue)))
    assert sorted(run.confirmed) == sorted(i for i, _ in messages) and not run.unconfirmed and not run.unsent
    assert run.ended == "" and len(outstanding) == 1, "one event, a normal end"
    assert 1 <= run.in_flight_at_event <= 10, f"the window was in use, never exceeded: {run.in_flight_at_event}"
    assert rabbit_io.depth(channel, queue) == 60


@pytest.mark.live
def test_publish_windowed_counts_what_a_lost_connection_left_unsent(channel):
    queue = declare_queues(channel, names=("work",))[0]
    closed_port = config.load().rabbitmq_url.replace(f":{config.load().rabbitmq_port}/", ":1/")
    run = rabbit_io.publish_windowed(closed_port, queue, [("m-0", b"x"), ("m-1", b"x")], window=10, timeout_s=10)
    assert not run.confirmed and run.unsent == ["m-0", "m-1"] and run.ended, run


@pytest.mark.live
def test_close_ends_a_connection_an_interrupt_left_with_a_half_opened_channel(channel):
    """rabbit_io.close closes what pika's own close() cannot: a channel cut short before its BlockingChannel existed."""
    queue = declare_queues(channel, names=("work",))[0]
    consumers = rabbit_io.connect()
    held = consumers.channel()
    held.basic_qos(prefetch_count=1)
    channel.basic_publish("", queue, b"held")
    held.basic_consume(queue, on_message_callback=lambda *_: None)  # holds the message, never acks it
    consumers.process_data_events(time_limit=1)
    consumers._impl.channel(on_open_callback=lambda _: None)  # the state an interrupt in channel() leaves behind
    with pytest.raises(AttributeError):
        pika.BlockingConnection.close(consumers)  # pika's close trips over it
    rabbit_io.close(consumers)
    assert consumers.is_closed
    assert rabbit_io.wait_for_depth(channel, queue, 1, timeout_s=SLACK_S) == 1, "the held message was not requeued"
