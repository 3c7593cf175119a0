"""The broker stack, live: native start on spare ports, status, reuse, down, and failing fast."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from helpers import clients, config
from tooling.stack import probe, process

SPARE = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19092", "KAFKA_CONTROLLER_PORT": "19093",
         "RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:15673/%2F", "RABBITMQ_DIST_PORT": "25673",
         "RABBITMQ_MANAGEMENT_PORT": "19674", "RABBITMQ_MQTT_PORT": "19675", "RABBITMQ_STOMP_PORT": "19676",
         "REDIS_URL": "redis://127.0.0.1:19679/0", "COURSE_STACK": "native"}


def stack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `python -m tooling.stack COMMAND` with extra environment variables."""
    return subprocess.run([sys.executable, "-m", "tooling.stack", command], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=config.PROJECT_ROOT, timeout=300, check=False)


@pytest.fixture(scope="module")
def native_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], str]]:
    """A second, native course stack on spare ports with its own state folder."""
    env = {**SPARE, "COURSE_STATE_DIR": str(tmp_path_factory.mktemp("stack"))}
    result = stack("up", env)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        yield env, result.stdout
    finally:
        stack("down", env)


@pytest.mark.live
def test_native_up_starts_both_brokers(native_stack: tuple[dict[str, str], str]) -> None:
    _, output = native_stack
    assert "kafka     127.0.0.1:19092        started (native)" in output
    assert "rabbitmq  127.0.0.1:15673        started (native)" in output


@pytest.mark.live
def test_status_names_the_way_each_broker_was_started(native_stack: tuple[dict[str, str], str]) -> None:
    env, _ = native_stack
    result = stack("status", env)
    assert result.returncode == 0, result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "native (make up)" in lines["kafka"] and "ok, produce + consume" in lines["kafka"]
    assert "native (make up)" in lines["rabbitmq"] and "ok, publish + consume + ack" in lines["rabbitmq"]


@pytest.mark.live
def test_second_up_reuses_what_is_running(native_stack: tuple[dict[str, str], str]) -> None:
    env, _ = native_stack
    result = stack("up", env)
    assert result.returncode == 0
    assert result.stdout.count("already answering") == 3 and "started" not in result.stdout


@pytest.mark.live
@pytest.mark.parametrize("port", [19092, 19093, 15673, 25673, 19674, 19675, 19676, 19679])
def test_native_brokers_listen_on_loopback_only(native_stack: tuple[dict[str, str], str], port: int) -> None:
    addresses = probe.listening_addresses(port)
    assert addresses and addresses <= probe.LOOPBACK_ADDRESSES, addresses


@pytest.mark.live
def test_native_kafka_runs_the_pinned_release_with_a_capped_heap(native_stack: tuple[dict[str, str], str]) -> None:
    env, _ = native_stack
    pid = process.read_pid(Path(env["COURSE_STATE_DIR"]) / "kafka" / "kafka.pid")
    assert pid is not None
    command_line = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    assert "-Xmx512m" in command_line and "kafka.Kafka" in command_line
    assert any(f"kafka-{config.pinned_versions()['KAFKA_VERSION']}" in arg for arg in command_line)


@pytest.mark.live
def test_down_stops_what_up_started_and_status_shows_it(native_stack: tuple[dict[str, str], str]) -> None:
    env, _ = native_stack
    result = stack("down", env)
    assert "kafka     stopped (native)" in result.stdout and "rabbitmq  stopped (native)" in result.stdout
    assert "redis     stopped (native)" in result.stdout
    status = stack("status", env)
    assert status.returncode == 1
    assert status.stdout.count("DOWN") == 3


@pytest.mark.live
def test_up_reuses_brokers_it_did_not_start_and_down_leaves_them(tmp_path: Path) -> None:
    env = {"COURSE_STATE_DIR": str(tmp_path)}  # the course's own brokers, already running
    up = stack("up", env)
    assert up.returncode == 0 and up.stdout.count("already running (left alone)") == 3, up.stdout
    down = stack("down", env)
    assert down.stdout.count("left running") == 3
    assert probe.kafka_round_trip().ok and probe.rabbitmq_round_trip().ok and probe.redis_round_trip().ok


@pytest.mark.parametrize(("require", "field", "broker"), [
    (clients.require_kafka, {"kafka_bootstrap_servers": "127.0.0.1:1"}, "Kafka"),
    (clients.require_rabbitmq, {"rabbitmq_url": "amqp://guest:guest@127.0.0.1:1/%2F"}, "RabbitMQ"),
])
def test_missing_broker_fails_fast_with_the_fix(require, field, broker) -> None:
    settings = replace(config.load(), **field)
    started = time.monotonic()
    with pytest.raises(clients.BrokerUnavailable) as caught:
        require(settings)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert f"{broker} is not reachable at 127.0.0.1:1" in message and "`make up`" in message


def test_malformed_kafka_address_is_reported_as_such() -> None:
    settings = replace(config.load(), kafka_bootstrap_servers="kafka-without-port")
    with pytest.raises(clients.BrokerUnavailable, match="expected an address like 127.0.0.1:9092"):
        clients.require_kafka(settings)


def test_notebook_00_fails_within_30_s_naming_the_broker_and_the_fix() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "notebooks/sanitize.cfg", "-x", "notebooks/00_start_here.ipynb"],
        capture_output=True, text=True, cwd=config.PROJECT_ROOT, timeout=120, check=False,
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert time.monotonic() - started < 30
    assert result.returncode != 0
    assert "Kafka is not reachable at 127.0.0.1:1" in result.stdout and "make up" in result.stdout


def test_terminate_stops_only_the_pid_file_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    pid = process.spawn(["sleep", "60"], log_file=tmp_path / "sleeper.log", pid_file=pid_file)
    assert process.read_pid(pid_file) == pid
    assert process.terminate(pid_file, grace_s=5) is True
    assert not process.alive(pid) and process.read_pid(pid_file) is None
    assert process.terminate(pid_file, grace_s=5) is False
