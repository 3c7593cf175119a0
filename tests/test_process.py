"""Pid files trusted only for the process the stack started: a reused pid is left alone (no broker needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from helpers import config
from tooling.stack import native_kafka, process


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated live process (not started by the stack), killed at the end."""
    sleeper = subprocess.Popen(["sleep", "120"])
    yield sleeper
    sleeper.kill()
    sleeper.wait()


def test_spawn_records_the_start_and_read_pid_trusts_it(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    pid = process.spawn(["sleep", "60"], log_file=tmp_path / "sleeper.log", pid_file=pid_file)
    try:
        recorded = pid_file.read_text().splitlines()
        assert recorded == [str(pid), process.identity(pid)] and recorded[1]
        assert process.read_pid(pid_file) == pid
    finally:
        assert process.terminate(pid_file, grace_s=5) is True


def test_a_reused_pid_is_left_alone_by_down_and_not_waited_on_by_up(tmp_path: Path, stranger) -> None:
    settings = replace(config.load(), state_dir=tmp_path)
    pid_file = native_kafka.home(settings) / "kafka.pid"
    pid_file.parent.mkdir(parents=True)
    time.sleep(0.05)  # a start a few clock ticks (10 ms each) after the stranger's, as any two processes' starts are
    gone = process.spawn(["sleep", "60"], log_file=tmp_path / "gone.log", pid_file=pid_file)
    started_then = pid_file.read_text().splitlines()[1]
    process.terminate(pid_file, grace_s=5)
    assert not process.alive(gone)
    pid_file.write_text(f"{stranger.pid}\n{started_then}\n")  # as after a reboot that gave the pid to another process
    assert process.read_pid(pid_file) is None
    assert native_kafka.running(settings) is False  # `up` starts Kafka instead of waiting on the stranger
    assert native_kafka.stop(settings) is False  # `down` sends it nothing
    pid_file.write_text(f"{stranger.pid}\n{started_then}\n")
    assert process.kill_hard(pid_file) is False
    time.sleep(0.2)
    assert stranger.poll() is None, "the unrelated process was signalled"


def test_a_pid_file_a_broker_wrote_itself_is_trusted_only_if_its_process_ran_before_it(tmp_path: Path,
                                                                                       stranger) -> None:
    pid_file = tmp_path / "rabbitmq.pid"
    pid_file.write_text(str(stranger.pid))  # RabbitMQ writes its pid alone, after its VM started
    assert process.read_pid(pid_file) == stranger.pid
    written_before = time.time() - 600  # the file outlived a reboot: the pid's new holder started after it
    os.utime(pid_file, (written_before, written_before))
    assert process.read_pid(pid_file) is None
    assert process.terminate(pid_file, grace_s=1) is False
    assert stranger.poll() is None


def test_without_proc_the_start_comes_from_ps(monkeypatch: pytest.MonkeyPatch, stranger) -> None:
    monkeypatch.setattr(process, "_proc_stat", lambda pid: None)  # as on macOS
    monkeypatch.setattr(sys, "platform", "darwin")
    started = process.started_at(stranger.pid)
    assert started is not None and abs(started - time.time()) < 120
    assert process.identity(stranger.pid) == process._ps_start(stranger.pid) != ""
    monkeypatch.setattr(process, "_ps_start", lambda pid: None)  # the process is gone
    assert process.identity(stranger.pid) == "" and process.started_at(stranger.pid) is None
