"""RabbitMQ's management UI on the course's stack: it answers on its loopback port and its API sees our queues."""

from __future__ import annotations

import urllib.request
import uuid

import pytest

from helpers import config, protocol_io, rabbit_io

pytestmark = pytest.mark.live


def test_the_ui_answers_on_its_local_port() -> None:
    with urllib.request.urlopen(config.management_url(), timeout=10) as response:
        page = response.read().decode()
    assert response.status == 200 and "RabbitMQ Management" in page, page[:300]


def test_the_api_lists_a_queue_just_declared() -> None:
    name = f"test.management.{uuid.uuid4().hex[:8]}"
    with rabbit_io.connect() as connection:
        channel = connection.channel()
        channel.queue_declare(name, durable=True)
        try:
            channel.basic_publish("", name, b"visible in the UI")
            queue = protocol_io.management_json(f"queues/%2F/{name}")
            names = {entry["name"] for entry in protocol_io.management_json("queues/%2F")}
        finally:
            channel.queue_delete(name)
    assert queue["name"] == name and queue["durable"] is True, queue
    assert name in names, f"{name} missing from the API's queue list"
