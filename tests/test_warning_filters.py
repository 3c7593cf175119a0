"""The one warnings exception for kafka-python's sockets matches a socket abandoned mid-connect, and no other."""

from __future__ import annotations

import gc
import re
import socket
import sys
import tomllib
import warnings
from collections.abc import Callable

import pytest
from kafka.net import inet

from conftest import KafkaPythonSocket, handed_over
from helpers import config, kafka_io


def unraisable_socket_filters() -> list[re.Pattern[str]]:
    """The message patterns of pyproject.toml's ignored unraisable-socket warnings that name kafka-python."""
    settings = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())
    lines = settings["tool"]["pytest"]["ini_options"]["filterwarnings"]
    return [re.compile(line.split(":")[1]) for line in lines
            if line.startswith("ignore:Exception ignored") and "conftest." in line]


def unclosed_socket_message(open_socket: Callable[[], socket.socket]) -> str:
    """The message pytest gives the warning this Python raises when a socket is collected unclosed."""
    messages: list[str] = []

    def hook(unraisable: sys.UnraisableHookArgs) -> None:  # as pytest words it (_pytest/unraisableexception.py)
        err_msg = "Exception ignored in" if unraisable.err_msg is None else unraisable.err_msg
        messages.append(f"{err_msg}: {unraisable.object!r}")

    previous, sys.unraisablehook = sys.unraisablehook, hook
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)  # as pyproject.toml's "error": raised in the finalizer
            open_socket()  # dropped at once: collected unclosed
    finally:
        sys.unraisablehook = previous
    assert len(messages) == 1, messages
    return messages[0]


def ignored(open_socket: Callable[[], socket.socket]) -> bool:
    """Whether the kafka-python exception would ignore this socket's unraisable ResourceWarning."""
    message = unclosed_socket_message(open_socket)
    return any(pattern.match(message) for pattern in unraisable_socket_filters())


def mid_connect() -> socket.socket:
    """A socket kafka-python opened and no connection took over (conftest.py's class for it)."""
    return inet.KafkaNetSocket().socket(socket.AF_INET)


def taken_over() -> socket.socket:
    """A socket a kafka-python connection took over."""
    sock = inet.KafkaNetSocket().socket(socket.AF_INET)
    handed_over(sock)
    assert isinstance(sock, KafkaPythonSocket), repr(sock)
    return sock


def test_a_socket_kafka_python_opened_and_never_handed_to_a_connection_is_ignored() -> None:
    assert ignored(mid_connect)


def test_a_socket_a_connection_took_over_is_still_a_failure() -> None:
    assert not ignored(taken_over)


def test_any_other_socket_left_open_is_still_a_failure() -> None:
    assert not ignored(lambda: socket.socket(socket.AF_INET))


@pytest.mark.live
def test_a_connected_client_has_only_sockets_whose_leak_is_reported() -> None:
    # a client a helper forgets to close leaves these: the collector's report of them must fail the test run
    client = kafka_io.admin()
    try:
        client.list_topics()
        open_kafka_sockets = [s for s in gc.get_objects() if isinstance(s, socket.socket) and s.fileno() != -1
                              and type(s).__module__ == "conftest"]
        assert open_kafka_sockets, "the admin client should hold a connected socket"
        messages = [f"Exception ignored in: {s!r}" for s in open_kafka_sockets]
        assert not any(p.match(m) for p in unraisable_socket_filters() for m in messages), messages
    finally:
        client.close()
