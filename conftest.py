"""pytest settings shared by the helpers' tests and the nbval notebook run."""

from __future__ import annotations

import socket


class KafkaPythonSocket(socket.socket):
    """A socket kafka-python opened: its repr names this class, so pyproject.toml can tell its leaks apart."""

    __slots__ = ()


def pytest_configure(config) -> None:
    """Have kafka-python open its broker sockets as KafkaPythonSocket (same socket, a telling name)."""
    from kafka.net import inet

    inet.KafkaNetSocket.socket = lambda self, family=socket.AF_UNSPEC, sock_type=socket.SOCK_STREAM, \
        proto=socket.IPPROTO_TCP: KafkaPythonSocket(family, sock_type, proto)


def pytest_collectstart(collector) -> None:
    """Skip stderr when nbval compares notebook outputs.

    stderr carries tqdm progress bars (with rates and elapsed times) and library log lines
    (kafka-python's rebalance and retry warnings) whose timing varies from run to run. Errors still
    fail the run: an exception is an `error` output, which nbval always compares.
    """
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
