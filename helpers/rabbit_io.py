"""RabbitMQ boilerplate for the notebooks: connect fast or fail fast, reset, bounded consume, tables.

    from helpers import rabbit_io
    channel = rabbit_io.open_channel()                       # BrokerUnavailable within seconds if down
    rabbit_io.reset(channel, exchanges=["nb07.bank"], queues=["nb07.fraud"])
    messages = rabbit_io.drain(channel, "nb07.fraud", max_messages=10)   # never start_consuming()
    with rabbit_io.consuming(channel, "nb07.fraud") as deliveries:        # a raw consume loop that
        for method, properties, body in deliveries: ...                    # cancels on any exit
    rabbit_io.queue_depths(channel, ["nb07.fraud"])          # DataFrame: queue, messages, consumers

Only the boilerplate lives here. The calls a lesson teaches (`exchange_declare`, `queue_declare`,
`queue_bind`, `basic_publish`, `basic_ack`, `basic_nack`, `basic_qos`, `confirm_delivery`) are typed
out in the notebooks. Nothing connects at import time. The module is named so it never shadows `pika`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, NamedTuple

import pandas as pd
import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from helpers import clients, config, waiting

#: Our own header counting a message's retries (RabbitMQ 3.13+ no longer interprets client-set x-* headers).
RETRY_HEADER = "retry-count"


class Message(NamedTuple):
    """One consumed message: pika's method frame, its properties and the body bytes."""

    method: pika.spec.Basic.Deliver
    properties: pika.BasicProperties
    body: bytes


def connect(settings: config.Settings | None = None) -> pika.BlockingConnection:
    """One blocking connection to the course broker, or BrokerUnavailable within seconds."""
    return clients.connect_rabbitmq(settings)


def open_channel(settings: config.Settings | None = None) -> BlockingChannel:
    """A channel on a new connection (close both with `channel.connection.close()`)."""
    return connect(settings).channel()


def server_version(connection: pika.BlockingConnection) -> tuple[int, int, int]:
    """The RabbitMQ release the broker announced when `connection` opened, e.g. (4, 3, 6)."""
    announced = connection._impl.server_properties["version"]  # pika keeps connection.start's properties here
    text = announced.decode() if isinstance(announced, bytes) else announced
    major, minor, patch = (int(part) for part in text.split(".")[:3])
    return major, minor, patch


def reset(channel: BlockingChannel, exchanges: Iterable[str] = (), queues: Iterable[str] = ()) -> list[str]:
    """Delete a notebook's queues and exchanges (missing ones are fine); return the names, sorted."""
    names: list[str] = []
    for queue in queues:
        channel.queue_delete(queue)
        names.append(queue)
    for exchange in exchanges:
        channel.exchange_delete(exchange)
        names.append(exchange)
    return sorted(names)


@contextmanager
def consuming(channel: BlockingChannel, queue: str, *, inactivity_timeout: float = 1.0,
              auto_ack: bool = False) -> Iterator[Iterator[tuple[Any, Any, Any]]]:
    """`channel.consume(queue, ...)` that is cancelled on any exit: a break, an error or an interrupt.

    It first cancels a consume an earlier, interrupted loop left behind on this channel (pika keeps
    one consume generator per channel and refuses a second with other parameters). Cancelling hands
    back the deliveries pika had buffered but not yet yielded; a message the loop already received
    stays unacknowledged on the channel until it is acked, nacked or the channel closes.
    """
    channel.cancel()  # a no-op unless an interrupted loop left its generator behind
    try:
        yield channel.consume(queue, auto_ack=auto_ack, inactivity_timeout=inactivity_timeout)
    finally:
        if channel.is_open:
            channel.cancel()


def drain(channel: BlockingChannel, queue: str, max_messages: int = 1000,
          inactivity_timeout_s: float = 0.5, ack: bool = True, max_wait_s: float = 30.0) -> list[Message]:
    """Consume at most max_messages, stopping early once the queue is empty and silent.

    A silence of inactivity_timeout_s ends the drain when the queue holds no ready messages; while it
    still does (a broker slowed down by a busy machine), the drain keeps going, up to max_wait_s in all.
    With ack=False the messages stay unacknowledged on this channel (close its connection and the
    broker redelivers them). Messages the broker pushed beyond max_messages (no `basic_qos` limit)
    are handed back by `channel.cancel()` and come again with `redelivered=True`.
    """
    messages: list[Message] = []
    if max_messages <= 0:
        return messages
    deadline = waiting.Deadline(max_wait_s)
    with consuming(channel, queue, inactivity_timeout=inactivity_timeout_s) as deliveries:
        for method, properties, body in deliveries:
            if method is None:  # nothing arrived for inactivity_timeout_s
                if depth(channel, queue) == 0 or deadline.passed():
                    break
                continue
            if ack:
                channel.basic_ack(method.delivery_tag)
            messages.append(Message(method, properties, body))
            if len(messages) >= max_messages:
                break
    return messages


def depth(channel: BlockingChannel, queue: str) -> int:
    """How many messages are ready in an existing queue (a passive declare)."""
    return channel.queue_declare(queue, passive=True).method.message_count


def wait_for_depth(channel: BlockingChannel, queue: str, expected: int, timeout_s: float = 5.0) -> int:
    """Poll a queue's depth until it equals `expected` (e.g. after a consumer died); TimeoutError if never."""
    current = -1

    def reached() -> bool:
        nonlocal current
        current = depth(channel, queue)
        return current == expected

    waiting.until(reached, timeout_s, lambda: f"{queue} holds {current} messages, not {expected},",
                  sleep=channel.connection.sleep)
    return current


def queue_depths(channel: BlockingChannel, queues: Sequence[str]) -> pd.DataFrame:
    """Ready messages and consumers of existing queues, one row each (passive declares)."""
    rows = []
    for queue in queues:
        ok = channel.queue_declare(queue, passive=True).method
        rows.append({"queue": queue, "messages": ok.message_count, "consumers": ok.consumer_count})
    return pd.DataFrame(rows, columns=["queue", "messages", "consumers"])


def exists(channel: BlockingChannel, *, queue: str | None = None, exchange: str | None = None) -> bool:
    """Whether a queue or exchange exists, checked on a throwaway channel (a miss closes a channel)."""
    probe_channel = channel.connection.channel()
    try:
        if queue is not None:
            probe_channel.queue_declare(queue, passive=True)
        if exchange is not None:
            probe_channel.exchange_declare(exchange, passive=True)
    except pika.exceptions.ChannelClosedByBroker as error:
        if error.reply_code == 404:
            return False
        raise
    probe_channel.close()
    return True


def _label(message: str | Mapping[str, Any]) -> str:
    """A readable row label for a routing key or a set of headers."""
    if isinstance(message, str):
        return message
    return ", ".join(f"{key}={value}" for key, value in message.items())


def route_table(channel: BlockingChannel, exchange: str, queues: Sequence[str],
                messages: Sequence[str | Mapping[str, Any]]) -> pd.DataFrame:
    """Publish one probe per routing key (str) or header set (dict); mark which queues got each.

    The probes are published with confirms on a separate channel, so every routed copy is in its
    queues before they are counted and drained (the queues should start empty). Rows: probes in the
    given order; columns: queues; cells: "✓" or "".
    """
    side = channel.connection.channel()
    side.confirm_delivery()
    labels = [_label(message) for message in messages]
    for index, message in enumerate(messages):
        key = message if isinstance(message, str) else ""
        headers = None if isinstance(message, str) else dict(message)
        side.basic_publish(exchange, key, str(index).encode(), pika.BasicProperties(headers=headers))
    table = pd.DataFrame("", index=pd.Index(labels, name="message"), columns=list(queues))
    for queue in queues:
        for received in drain(side, queue, max_messages=depth(side, queue), inactivity_timeout_s=1.0):
            table.iloc[int(received.body), table.columns.get_loc(queue)] = "✓"
    side.close()
    return table


def pump_until(connection: pika.BlockingConnection, condition: Callable[[], bool],
               timeout_s: float = 5.0, step_s: float = 0.05) -> None:
    """Process I/O (deliver to basic_consume callbacks) until condition() holds, or TimeoutError."""
    waiting.until(condition, timeout_s, "the expected deliveries did not arrive", interval_s=step_s,
                  sleep=lambda seconds: connection.process_data_events(time_limit=seconds))


def close(connection: pika.BlockingConnection) -> None:
    """Close `connection` on a cell's way out, even when a KeyboardInterrupt cut a pika call short.

    pika's `close()` first closes each channel through its `BlockingChannel`; an interrupt that lands while a
    channel is being opened leaves one without it, and that `close()` fails with AttributeError. The
    connection is then closed underneath (what `close()` does after the channels), so the broker cancels its
    consumers and requeues what they held. Errors of a connection already lost are ignored.
    """
    with suppress(pika.exceptions.AMQPError):
        if not connection.is_open:
            return
        try:
            connection.close()
        except AttributeError:  # a channel without its BlockingChannel: close the connection underneath
            connection._impl.close(200, "closed after an interrupt")
            connection._flush_output(connection._closed_result.is_ready)


def x_death(properties: pika.BasicProperties) -> pd.DataFrame:
    """The broker's dead-letter history of a message (its `x-death` header) as a table."""
    rows = []
    for entry in (properties.headers or {}).get("x-death", []):
        rows.append({
            "queue": entry.get("queue"),
            "reason": entry.get("reason"),
            "count": entry.get("count"),
            "exchange": entry.get("exchange"),
            "routing_keys": ", ".join(entry.get("routing-keys", [])),
        })
    return pd.DataFrame(rows, columns=["queue", "reason", "count", "exchange", "routing_keys"])


class Unconfirmed(NamedTuple):
    """Where a windowed publish stopped: ids confirmed (-> time.monotonic() of the confirm), ids sent but
    unconfirmed (or nacked), ids never sent, how many confirms were outstanding when the event ran, and why the
    connection ended early ('' when it did not)."""

    confirmed: dict[str, float]
    unconfirmed: list[str]
    unsent: list[str]
    in_flight_at_event: int
    ended: str


def publish_windowed(url: str, queue: str, messages: Sequence[tuple[str, bytes]], window: int,
                     event_at: int | None = None, event: Callable[[], object] = lambda: None,
                     timeout_s: float = 60.0) -> Unconfirmed:
    """Publish persistent (message_id, body) pairs with up to `window` confirms outstanding, until done or the
    connection ends; call `event()` once `event_at` of them are confirmed, in the flow of confirms."""
    pending: dict[int, str] = {}  # delivery tag -> message id, the confirms still owed
    confirmed: dict[str, float] = {}
    nacked: list[str] = []
    state: dict[str, Any] = {"sent": 0, "in_flight": 0, "fired": 0, "ended": ""}
    channel_of: dict[str, Any] = {}

    def fire() -> None:
        state["in_flight"] = len(pending)
        event()

    def fill(channel: Any) -> None:
        while channel.is_open and len(pending) < window and state["sent"] < len(messages):
            message_id, body = messages[state["sent"]]
            channel.basic_publish("", queue, body, pika.BasicProperties(
                message_id=message_id, delivery_mode=pika.DeliveryMode.Persistent))
            state["sent"] += 1
            pending[state["sent"]] = message_id  # delivery tags count publishes from 1 on a confirm channel
        if state["sent"] == len(messages) and not pending and connection.is_open:
            connection.close()

    def on_confirm(frame: Any) -> None:
        method = frame.method
        tags = [t for t in pending if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        for tag in tags:
            if isinstance(method, pika.spec.Basic.Ack):
                confirmed[pending.pop(tag)] = time.monotonic()
            else:
                nacked.append(pending.pop(tag))
        fill(channel_of["it"])  # the window full again, then the event
        if len(confirmed) >= (event_at or len(messages) + 1) and not state["fired"]:
            state["fired"] = 1
            fire()

    def end(connection: Any, reason: Exception) -> None:
        if (state["sent"] < len(messages) or pending) and not state["ended"]:
            state["ended"] = f"{type(reason).__name__}: {reason}"
        connection.ioloop.stop()

    def on_channel_closed(_channel: Any, reason: Exception) -> None:
        if state["sent"] < len(messages) or pending:
            state["ended"] = f"channel closed, {type(reason).__name__}: {reason}"
        if connection.is_open:
            connection.close()

    def on_channel(channel: Any) -> None:
        channel_of["it"] = channel
        channel.add_on_close_callback(on_channel_closed)
        channel.confirm_delivery(on_confirm, callback=lambda _frame: fill(channel))

    connection = pika.SelectConnection(
        _parameters(url), on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_open_error_callback=lambda c, error: end(c, error), on_close_callback=lambda c, reason: end(c, reason))
    connection.ioloop.call_later(timeout_s, lambda: connection.close() if connection.is_open else connection.ioloop.stop())
    connection.ioloop.start()
    connection.ioloop.close()  # its wake-up socket pair, left open otherwise
    unsent = [message_id for message_id, _ in messages[state["sent"]:]]
    return Unconfirmed(confirmed, nacked + list(pending.values()), unsent, state["in_flight"], state["ended"])


def _parameters(url: str, timeout_s: float = 5.0) -> pika.URLParameters:
    """Connection parameters that fail fast: one attempt, short socket and handshake timeouts."""
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = parameters.stack_timeout = parameters.blocked_connection_timeout = timeout_s
    parameters.connection_attempts = 1
    return parameters
