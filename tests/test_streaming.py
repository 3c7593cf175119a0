"""Quix Streams applications that stop at the end of their input, and their reset (live)."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import kafka_io, streaming


@pytest.fixture
def topic() -> Iterator[str]:
    """A fresh 2-partition topic holding 3 records for key a and 2 for key b, deleted afterwards."""
    name = f"test-streaming-{uuid.uuid4().hex[:8]}"
    kafka_io.reset_topics({name: 2})
    with kafka_io.producer() as producer:
        for key in "aaabb":
            producer.send(name, key=key.encode(), value=b'{"n": 1}')
        producer.flush(timeout=10)
    yield name
    kafka_io.delete_topics([name])


def counting_app(group: str, topic: str, state_dir: Path) -> streaming.Application:
    """An application counting records per key in its state (so it has a changelog topic)."""
    app = streaming.application(group, topic, state_dir)

    def count(value: dict, state) -> int:
        state.set("seen", state.get("seen", 0) + value["n"])
        return state.get("seen")

    app.dataframe(app.topic(topic, value_deserializer="json")).apply(count, stateful=True)
    return app


@pytest.mark.live
def test_a_run_stops_at_the_end_offsets_not_on_the_idle_timeout(topic: str, tmp_path: Path) -> None:
    group = f"{topic}-group"
    started = time.monotonic()
    outputs = streaming.run(counting_app(group, topic, tmp_path))
    elapsed = time.monotonic() - started
    try:
        last = {output["_key"]: output["_value"] for output in outputs}  # each key's count after its last record
        assert last == {b"a": 3, b"b": 2}, outputs
        assert elapsed < streaming.IDLE_TIMEOUT_S / 2, f"took {elapsed:.1f} s: it waited for the idle timeout"
    finally:
        streaming.reset_app(group, tmp_path)


@pytest.mark.live
def test_reset_app_forgets_the_changelog_the_state_folder_and_the_offsets(topic: str, tmp_path: Path) -> None:
    group = f"{topic}-group"
    streaming.run(counting_app(group, topic, tmp_path))
    assert (tmp_path / group).is_dir()
    removed = streaming.reset_app(group, tmp_path)
    assert removed and all(name.startswith(f"changelog__{group}--") for name in removed), removed
    assert not (tmp_path / group).exists()
    with kafka_io.admin() as admin:
        assert not [name for name in admin.list_topics() if f"__{group}--" in name]
    assert kafka_io.committed_offsets(group, topic) == {}


@pytest.mark.live
def test_a_run_gives_the_signal_handlers_back(topic: str, tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    group = f"{topic}-group"
    try:
        streaming.run(counting_app(group, topic, tmp_path))
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    finally:
        streaming.reset_app(group, tmp_path)


@pytest.mark.live
def test_an_interrupted_run_raises_instead_of_returning_part_of_the_outputs(topic: str, tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT)
    group = f"{topic}-group"
    app = streaming.application(group, topic, tmp_path)
    app.dataframe(app.topic(topic)).update(lambda value: os.kill(os.getpid(), signal.SIGINT))  # Ctrl+C mid-run
    try:
        with pytest.raises(KeyboardInterrupt, match="re-run this cell"):
            streaming.run(app)
        assert signal.getsignal(signal.SIGINT) == before
    finally:
        streaming.reset_app(group, tmp_path)
