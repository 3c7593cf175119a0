"""The one warnings exception for kafka-python's sockets matches a socket abandoned mid-connect, and no other."""

from __future__ import annotations

import gc
import re
import socket
import tomllib

import pytest
from kafka.net import inet

from conftest import KafkaPythonSocket, handed_over
from helpers import config, kafka_io


def unraisable_socket_filters() -> list[re.Pattern[str]]:
    """The message patterns of pyproject.toml's ignored unraisable-socket warnings that name kafka-python."""
    settings = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())
    lines = settings["tool"]["pytest"]["ini_options"]["filterwarnings"]
    return [re.compile(line.split(":")[1]) for line in lines
            if line.startswith("ignore:Exception ignored in") and "conftest." in line]


def ignored(sock: socket.socket) -> bool:
    """Whether the kafka-python exception would ignore this socket's unraisable ResourceWarning."""
    message = f"Exception ignored in: {sock!r}"
    return any(pattern.match(message) for pattern in unraisable_socket_filters())


def test_a_socket_kafka_python_opened_and_never_handed_to_a_connection_is_ignored() -> None:
    with inet.KafkaNetSocket().socket(socket.AF_INET) as mid_connect:
        assert ignored(mid_connect), repr(mid_connect)


def test_a_socket_a_connection_took_over_is_still_a_failure() -> None:
    with inet.KafkaNetSocket().socket(socket.AF_INET) as owned:
        handed_over(owned)
        assert isinstance(owned, KafkaPythonSocket) and not ignored(owned), repr(owned)


def test_any_other_socket_left_open_is_still_a_failure() -> None:
    with socket.socket(socket.AF_INET) as plain:
        assert not ignored(plain), repr(plain)


@pytest.mark.live
def test_a_connected_client_has_only_sockets_whose_leak_is_reported() -> None:
    # a client a helper forgets to close leaves these: the collector's report of them must fail the test run
    client = kafka_io.admin()
    try:
        client.list_topics()
        open_kafka_sockets = [s for s in gc.get_objects() if isinstance(s, socket.socket) and s.fileno() != -1
                              and type(s).__module__ == "conftest"]
        assert open_kafka_sockets, "the admin client should hold a connected socket"
        assert not any(ignored(s) for s in open_kafka_sockets), open_kafka_sockets
    finally:
        client.close()
