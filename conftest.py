"""pytest settings shared by the helpers' tests and the nbval notebook run."""

from __future__ import annotations

import socket

import pytest


class KafkaPythonConnecting(socket.socket):
    """A socket kafka-python opened and has not handed to a connection yet: its repr names this class.

    kafka-python 3.0.12 never closes a socket whose connect or handshake is abandoned (kafka/net/inet.py,
    kafka/net/manager.py's _build_transport), so pyproject.toml ignores the collector's report of this class only.
    """

    __slots__ = ()


class KafkaPythonSocket(socket.socket):
    """A socket a kafka-python connection owns: its client's close() closes it, so one left open is reported."""

    __slots__ = ()


def handed_over(sock: object) -> None:
    """Mark a socket kafka-python's connection now owns (same socket, the class its repr names)."""
    if isinstance(sock, KafkaPythonConnecting):
        sock.__class__ = KafkaPythonSocket


def pytest_configure(config) -> None:
    """Have kafka-python open its sockets as KafkaPythonConnecting, and mark each one its connection takes over."""
    from kafka.net import connection, inet

    inet.KafkaNetSocket.socket = lambda self, family=socket.AF_UNSPEC, sock_type=socket.SOCK_STREAM, \
        proto=socket.IPPROTO_TCP: KafkaPythonConnecting(family, sock_type, proto)
    made = connection.KafkaConnection.connection_made

    def connection_made(self, transport) -> None:
        made(self, transport)
        handed_over(getattr(transport, "_sock", None))

    connection.KafkaConnection.connection_made = connection_made


def pytest_collectstart(collector) -> None:
    """Skip stderr when nbval compares notebook outputs.

    stderr carries tqdm progress bars (with rates and elapsed times) and library log lines
    (kafka-python's rebalance and retry warnings) whose timing varies from run to run. Errors still
    fail the run: an exception is an `error` output, which nbval always compares. A Python warning on
    stderr fails its cell too (pytest_runtest_call below).
    """
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a notebook cell whose fresh run printed a Python warning on stderr, which nbval does not compare."""
    result = yield
    outputs = getattr(item, "test_outputs", None)  # nbval's cell items keep their fresh outputs; no other item has them
    if outputs is None:
        return result
    from tooling.notebooks import warning_lines  # here: nbclient is slow to import, and most test runs need none

    found = warning_lines(outputs)
    if found:
        item.raise_cell_error("Cell printed a warning on stderr: fix it at its source", "\n".join(found))
    return result
