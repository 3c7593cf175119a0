"""The one warnings exception for kafka-python's own sockets matches those, and no other socket."""

from __future__ import annotations

import re
import socket
import tomllib

from kafka.net import inet

from helpers import config


def unraisable_socket_filters() -> list[re.Pattern[str]]:
    """The message patterns of pyproject.toml's ignored unraisable-socket warnings."""
    settings = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())
    lines = settings["tool"]["pytest"]["ini_options"]["filterwarnings"]
    return [re.compile(line.split(":")[1]) for line in lines
            if line.startswith("ignore:Exception ignored in") and "KafkaPythonSocket" in line]


def ignored(sock: socket.socket) -> bool:
    """Whether the kafka-python exception would ignore this socket's unraisable ResourceWarning."""
    message = f"Exception ignored in: {sock!r}"
    return any(pattern.match(message) for pattern in unraisable_socket_filters())


def test_sockets_kafka_python_opens_are_told_apart_by_the_exception() -> None:
    with inet.KafkaNetSocket().socket(socket.AF_INET) as opened_by_kafka_python:
        assert ignored(opened_by_kafka_python), repr(opened_by_kafka_python)


def test_any_other_socket_left_open_is_still_a_failure() -> None:
    with socket.socket(socket.AF_INET) as plain:
        assert not ignored(plain), repr(plain)
