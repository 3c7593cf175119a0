"""The one warnings exception for kafka-python's own sockets matches those, and no other socket."""

from __future__ import annotations

import re
import socket
import sys
import tomllib
import warnings
from collections.abc import Callable

from kafka.net import inet

from helpers import config


def unraisable_socket_filters() -> list[re.Pattern[str]]:
    """The message patterns of pyproject.toml's ignored unraisable-socket warnings."""
    settings = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())
    lines = settings["tool"]["pytest"]["ini_options"]["filterwarnings"]
    return [re.compile(line.split(":")[1]) for line in lines
            if line.startswith("ignore:Exception ignored") and "KafkaPythonSocket" in line]


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


def test_sockets_kafka_python_opens_are_told_apart_by_the_exception() -> None:
    assert ignored(lambda: inet.KafkaNetSocket().socket(socket.AF_INET))


def test_any_other_socket_left_open_is_still_a_failure() -> None:
    assert not ignored(lambda: socket.socket(socket.AF_INET))
