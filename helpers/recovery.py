"""Broker errors a learner can act on: a lost broker or a dead channel names the broker and the fix.

    from helpers import recovery
    recovery.explain_broker_errors()      # in a notebook's Setup cell: later cells' broker errors say what to do

After one error a pika channel is closed for good, and after a broker restart a client holds dead
sockets; the raw errors (`ChannelWrongStateError: Channel is closed`, `StreamLostError`,
`KafkaTimeoutError`) do not say that the cure is to check the broker and re-run the Setup cells.
`explain(error)` gives that advice as text; `explain_broker_errors()` has IPython print it under the
traceback of any such error that a cell does not catch. Errors a lesson catches on purpose are untouched.
"""

from __future__ import annotations

from typing import Any

from helpers import clients

RERUN = "re-run this notebook's Setup cells (they reconnect and reset the lesson's state)"


def _rabbitmq_advice(error: BaseException) -> str | None:
    """Advice for a pika error, or None when it is not one."""
    import pika.exceptions as pe

    if isinstance(error, pe.ChannelClosedByBroker):
        return (f"RabbitMQ closed this channel ({error.reply_code} {error.reply_text}); a channel is unusable "
                f"after an error: fix the call, then {RERUN}.")
    if isinstance(error, (pe.ChannelWrongStateError, pe.ChannelClosed)):
        return f"This RabbitMQ channel is closed (an earlier error or a lost connection closed it): {RERUN}."
    if isinstance(error, (pe.StreamLostError, pe.ConnectionClosed, pe.AMQPConnectionError, pe.ConnectionWrongStateError)):
        return (f"RabbitMQ connection lost ({type(error).__name__}): run `make status` (start the brokers with "
                f"`{clients.FIX_COMMAND}`), then {RERUN}.")
    return None


def _kafka_advice(error: BaseException) -> str | None:
    """Advice for a kafka-python error about a broker that went away, or None."""
    import kafka.errors as ke

    if isinstance(error, (ke.BrokerNotAvailableError, ke.KafkaConnectionError, ke.KafkaTimeoutError, ke.NodeNotReadyError,
                          ke.RequestTimedOutError)):
        return (f"Kafka did not answer ({type(error).__name__}): run `make status` (start the brokers with "
                f"`{clients.FIX_COMMAND}`); a client made before a broker restart may hold dead connections, so {RERUN}.")
    if isinstance(error, ke.IllegalStateError) and "closed" in str(error):
        return ("This Kafka client was closed, by a cell you ran before or an earlier run: re-run the cell that "
                f"creates it (or {RERUN}).")
    return None


def _redis_advice(error: BaseException) -> str | None:
    """Advice for a lost Redis connection, or None."""
    import redis

    if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
        return f"Redis connection lost ({type(error).__name__}): run `make status` (start it with `{clients.FIX_COMMAND}`), then {RERUN}."
    return None


def explain(error: BaseException) -> str | None:
    """What to do about a broker error, or None when the error is not about a broker's connection."""
    if isinstance(error, clients.BrokerUnavailable):
        return None  # already says which broker, where, and the fix
    for advice in (_rabbitmq_advice, _kafka_advice, _redis_advice):
        text = advice(error)
        if text:
            return text
    return None


def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> Any:
    """IPython's custom-exception hook: the usual traceback, then the advice."""
    structured = shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    advice = explain(value)
    if advice:
        print(f"\n👉 {advice}")
    return structured


def _error_types() -> tuple[type, ...]:
    """The exception classes the hook watches."""
    import kafka.errors as ke
    import pika.exceptions as pe
    import redis

    return (pe.AMQPError, ke.KafkaError, redis.ConnectionError, redis.TimeoutError)


def explain_broker_errors() -> bool:
    """Have IPython add `explain`'s advice under uncaught broker errors; False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc(_error_types(), _handler)
    return True
