"""The broker stack, live: native start on spare ports, status, reuse, down, and failing fast.

The spare stack picks its own free ports (below Linux's ephemeral range, see tests/faults/conftest.py), so it
never meets a learner's or another suite's brokers. Every test gets it running, whatever ran before: the one
that brings it down leaves it for the next to start again.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from helpers import clients, config
from tooling.stack import __main__ as stack_main
from tooling.stack import cluster, cluster_rabbitmq, native_kafka, native_rabbitmq, native_redis, probe, process

SPARE_RANGE = range(10_000, 20_000)  # below the ephemeral range; the README and the other suites use 29xxx-32xxx
PORT_NAMES = ("kafka", "controller", "amqp", "dist", "management", "mqtt", "stomp", "redis", "epmd")
FAIL_FAST_S = 20  # well under kafka-python's 30 s bootstrap timeout, the wait a missing fast check would cost


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports in SPARE_RANGE that can be bound right now."""
    ports: list[int] = []
    for port in random.sample(SPARE_RANGE, len(SPARE_RANGE)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"fewer than {count} free ports in {SPARE_RANGE}")


def stack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `python -m tooling.stack COMMAND` with extra environment variables."""
    return subprocess.run([sys.executable, "-m", "tooling.stack", command], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=config.PROJECT_ROOT, timeout=600, check=False)


def started_line(broker: str, address: str) -> str:
    """The line `up` prints for a broker it started natively (up to the ready time)."""
    return f"{broker:<9} {address:<22} started (native)"


@dataclass(frozen=True)
class Spare:
    """A spare course stack: its ports, its state folder, and what its first `up` printed."""

    ports: dict[str, int]
    state_dir: Path
    first_up: str = ""

    @property
    def env(self) -> dict[str, str]:
        """Every address variable of the course on this stack's ports, its state folder, native brokers."""
        ports = self.ports
        return {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['kafka']}",
                "KAFKA_CONTROLLER_PORT": str(ports["controller"]),
                "RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:{ports['amqp']}/%2F",
                "RABBITMQ_DIST_PORT": str(ports["dist"]), "RABBITMQ_MANAGEMENT_PORT": str(ports["management"]),
                "RABBITMQ_MQTT_PORT": str(ports["mqtt"]), "RABBITMQ_STOMP_PORT": str(ports["stomp"]),
                "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0", "COURSE_STACK": "native",
                "COURSE_STATE_DIR": str(self.state_dir), "ERL_EPMD_PORT": str(ports["epmd"])}

    @property
    def settings(self) -> config.Settings:
        """The course settings this stack's `up` runs with."""
        env = self.env
        return replace(config.load(), kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
                       kafka_controller_port=self.ports["controller"], rabbitmq_url=env["RABBITMQ_URL"],
                       rabbitmq_dist_port=self.ports["dist"], redis_url=env["REDIS_URL"], state_dir=self.state_dir,
                       stack_mode="native")


@pytest.fixture(scope="module")
def spare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spare]:
    """A second, native course stack on free ports with its own state folder, always brought down."""
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    fresh = Spare(ports, tmp_path_factory.mktemp("stack"))
    result = stack("up", fresh.env)
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        yield replace(fresh, first_up=result.stdout)
    finally:
        stack("down", fresh.env)


@pytest.fixture
def native_stack(spare: Spare) -> Spare:
    """The spare stack, running: started again if a test before this one brought it down."""
    settings = spare.settings
    if not all(native.running(settings) for native in (native_kafka, native_rabbitmq, native_redis)):
        result = stack("up", spare.env)
        assert result.returncode == 0, result.stdout + result.stderr
    return spare


@pytest.mark.live
def test_native_up_starts_every_service(native_stack: Spare) -> None:
    ports = native_stack.ports
    assert started_line("kafka", f"127.0.0.1:{ports['kafka']}") in native_stack.first_up, native_stack.first_up
    assert started_line("rabbitmq", f"127.0.0.1:{ports['amqp']}") in native_stack.first_up, native_stack.first_up
    assert started_line("redis", f"127.0.0.1:{ports['redis']}") in native_stack.first_up, native_stack.first_up


@pytest.mark.live
def test_status_names_the_way_each_broker_was_started(native_stack: Spare) -> None:
    result = stack("status", native_stack.env)
    assert result.returncode == 0, result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "native (make up)" in lines["kafka"] and "ok, produce + consume" in lines["kafka"]
    assert "native (make up)" in lines["rabbitmq"] and "ok, publish + consume + ack" in lines["rabbitmq"]


@pytest.mark.live
def test_second_up_reuses_what_is_running(native_stack: Spare) -> None:
    result = stack("up", native_stack.env)
    assert result.returncode == 0
    assert result.stdout.count("already answering") == 3 and "started" not in result.stdout, result.stdout


@pytest.mark.live
@pytest.mark.parametrize("listener", PORT_NAMES)
def test_native_brokers_listen_on_loopback_only(native_stack: Spare, listener: str) -> None:
    addresses = probe.listening_addresses(native_stack.ports[listener])
    assert addresses and addresses <= probe.LOOPBACK_ADDRESSES, addresses


@pytest.mark.live
def test_native_kafka_runs_the_pinned_release_with_a_capped_heap(native_stack: Spare) -> None:
    pid = process.read_pid(native_stack.state_dir / "kafka" / "kafka.pid")
    assert pid is not None
    command_line = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    assert "-Xmx512m" in command_line and "kafka.Kafka" in command_line
    assert any(f"kafka-{config.pinned_versions()['KAFKA_VERSION']}" in arg for arg in command_line)


def epmd_names(port: int) -> str:
    """What the epmd on `port` answers to `epmd -names` (the nodes registered with it)."""
    epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
    return subprocess.run([epmd, "-port", str(port), "-names"], capture_output=True, text=True, timeout=10,
                          check=False).stdout


@pytest.mark.live
def test_the_native_node_registers_with_the_epmd_of_erl_epmd_port_only(native_stack: Spare) -> None:
    node = f"name course{native_stack.ports['amqp']} at port {native_stack.ports['dist']}"
    assert node in epmd_names(native_stack.ports["epmd"]), epmd_names(native_stack.ports["epmd"])
    assert f"course{native_stack.ports['amqp']} " not in epmd_names(native_rabbitmq.DEFAULT_EPMD_PORT)


@pytest.mark.live
def test_down_stops_what_up_started_and_status_shows_it(native_stack: Spare) -> None:
    result = stack("down", native_stack.env)
    assert "kafka     stopped (native)" in result.stdout and "rabbitmq  stopped (native)" in result.stdout
    assert "redis     stopped (native)" in result.stdout, result.stdout
    # `up` started the epmd on the stack's own ERL_EPMD_PORT, so `down` stops it (and only it)
    assert not clients.port_open("127.0.0.1", native_stack.ports["epmd"])
    status = stack("status", native_stack.env)
    assert status.returncode == 1
    assert status.stdout.count("DOWN") == 3, status.stdout


@pytest.mark.live
def test_up_reuses_brokers_it_did_not_start_and_down_leaves_them(tmp_path: Path) -> None:
    running = [probe.kafka_round_trip().ok, probe.rabbitmq_round_trip().ok, probe.redis_round_trip().ok]
    assert all(running), "this test needs the course's own stack answering: run `make up` first"
    env = {"COURSE_STATE_DIR": str(tmp_path)}  # a state folder that started nothing: every service is someone else's
    up = stack("up", env)
    assert up.returncode == 0 and up.stdout.count("already running (left alone)") == 3, up.stdout
    down = stack("down", env)
    assert down.stdout.count("left running") == 3, down.stdout
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
    assert time.monotonic() - started < FAIL_FAST_S
    message = str(caught.value)
    assert f"{broker} is not reachable at 127.0.0.1:1" in message and "`make up`" in message


def test_malformed_kafka_address_is_reported_as_such() -> None:
    settings = replace(config.load(), kafka_bootstrap_servers="kafka-without-port")
    with pytest.raises(clients.BrokerUnavailable, match="expected an address like 127.0.0.1:9092"):
        clients.require_kafka(settings)


@pytest.mark.live
def test_notebook_00_fails_fast_naming_the_broker_and_the_fix() -> None:
    # A cell that waited for kafka-python's own 30 s bootstrap timeout would fail with KafkaTimeoutError, not
    # with the course's message; the cell timeout bounds a hang (generously: the machine may be loaded).
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-cell-timeout=120", "--nbval-kernel-startup-timeout=120",
         "--nbval-sanitize-with", "notebooks/sanitize.cfg", "-x", "notebooks/00_start_here.ipynb"],
        capture_output=True, text=True, cwd=config.PROJECT_ROOT, timeout=600, check=False,
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert result.returncode != 0
    assert "Kafka is not reachable at 127.0.0.1:1" in result.stdout and "make up" in result.stdout, result.stdout
    assert "KafkaTimeoutError" not in result.stdout, result.stdout


def test_terminate_stops_only_the_pid_file_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    pid = process.spawn(["sleep", "60"], log_file=tmp_path / "sleeper.log", pid_file=pid_file)
    assert process.read_pid(pid_file) == pid
    assert process.terminate(pid_file, grace_s=5) is True
    assert not process.alive(pid) and process.read_pid(pid_file) is None
    assert process.terminate(pid_file, grace_s=5) is False


@pytest.mark.live
def test_kafka_storage_is_formatted_even_when_the_cluster_id_starts_with_a_dash(tmp_path: Path, monkeypatch) -> None:
    # about 1 id in 64 starts with `-`, which Kafka's storage tool used to read as an option
    random_id = native_kafka.new_cluster_id
    monkeypatch.setattr(native_kafka, "new_cluster_id", lambda: "-" + random_id()[1:])
    settings = replace(config.load(), state_dir=tmp_path)
    native_kafka.resolve_jars(settings)
    native_kafka.prepare(settings)
    meta = (tmp_path / "kafka" / "data" / "meta.properties").read_text()
    assert "cluster.id=-" in meta, meta


@pytest.mark.live
def test_a_taken_dist_port_fails_with_the_reason_from_the_log_that_has_it(tmp_path: Path, monkeypatch) -> None:
    amqp, dist, management, mqtt, stomp = free_ports(5)
    monkeypatch.setenv("RABBITMQ_URL", f"amqp://guest:guest@127.0.0.1:{amqp}/%2F")
    for name, port in (("RABBITMQ_DIST_PORT", dist), ("RABBITMQ_MANAGEMENT_PORT", management),
                       ("RABBITMQ_MQTT_PORT", mqtt), ("RABBITMQ_STOMP_PORT", stomp)):
        monkeypatch.setenv(name, str(port))
    settings = replace(config.load(), state_dir=tmp_path)
    rabbitmq = next(service for service in stack_main.SERVICES if service.name == "rabbitmq")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", dist))
        taken.listen()
        native_rabbitmq.start(settings)
        try:
            with pytest.raises(RuntimeError) as caught:
                stack_main.wait_ready([rabbitmq], settings, "native", {"rabbitmq": time.monotonic()})
        finally:
            native_rabbitmq.stop(settings)
    message = str(caught.value)
    assert "dist_port_already_used" in message and "stdout.log" in message, message
    assert not (config.PROJECT_ROOT / "erl_crash.dump").exists(), "the crash dump belongs under the state folder"


def test_a_cluster_node_that_dies_starting_shows_the_log_that_has_the_reason(tmp_path: Path, monkeypatch) -> None:
    settings = replace(config.load(), state_dir=tmp_path, stack_mode="native")
    launcher_output = cluster_rabbitmq.home(settings, "rabbitmq-1") / "logs" / "stdout.log"
    launcher_output.parent.mkdir(parents=True)
    launcher_output.write_text('Kernel pid terminated ({failed_to_start_child,prelaunch,{duplicate_node_name,"rabbit1"}})\n')
    monkeypatch.setattr(cluster_rabbitmq, "running", lambda settings, node: False)  # it exited
    with pytest.raises(RuntimeError) as caught:
        cluster._alive_or_raise(settings, "rabbitmq-1")
    message = str(caught.value)
    assert "rabbitmq-1 exited during start-up" in message and "duplicate_node_name" in message, message
    assert f"Last lines of {launcher_output}" in message and "@localhost.log" not in message, message


def test_a_cluster_node_writes_its_crash_dump_in_its_own_folder_not_the_repository(tmp_path: Path) -> None:
    settings = replace(config.load(), state_dir=tmp_path)
    for node in cluster_rabbitmq.NODES:
        dump = Path(cluster_rabbitmq.environment(settings, node)["ERL_CRASH_DUMP"])
        assert dump.parent == cluster_rabbitmq.home(settings, node) / "logs"


def test_up_waits_for_a_service_an_earlier_up_left_starting_instead_of_starting_a_second_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    answers = iter([False])  # not answering when `up` looks, answering once it waits
    starts: list[str] = []
    fake_native = type("FakeNative", (), {
        "running": staticmethod(lambda settings: True),  # its process from the earlier `up` is alive
        "start": staticmethod(lambda settings: starts.append("start")),
        "startup_logs": staticmethod(lambda settings: []),
    })
    service = stack_main.Service("fake", lambda s: ("127.0.0.1", port), fake_native,
                                 lambda s: probe.RoundTrip(next(answers, True), ""), 10.0)
    monkeypatch.setattr(stack_main, "SERVICES", (service,))
    settings = replace(config.load(), state_dir=tmp_path, stack_mode="native")
    try:
        assert stack_main.up(settings) == 0
    finally:
        listener.close()
    assert starts == [], "a second copy was started while the first was still starting"


def test_each_service_gets_its_whole_bound_however_long_the_one_before_took_to_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    started: set[str] = set()
    probes_since_start: dict[str, int] = {}

    def fake(name: str, start_s: float, bound_s: float) -> stack_main.Service:
        """A service whose start takes start_s and that answers from the second probe after its start on."""
        def start(settings: config.Settings) -> None:
            time.sleep(start_s)
            started.add(name)

        def round_trip(settings: config.Settings) -> probe.RoundTrip:
            if name in started:
                probes_since_start[name] = probes_since_start.get(name, 0) + 1
            return probe.RoundTrip(probes_since_start.get(name, 0) >= 2, "")
        native = type("FakeNative", (), {"running": staticmethod(lambda settings: name in started),
                                         "start": staticmethod(start),
                                         "startup_logs": staticmethod(lambda settings: [])})
        return stack_main.Service(name, lambda s: ("127.0.0.1", port), native, round_trip, bound_s)

    # Kafka's first start resolves its jars (minutes on a cold cache); Redis, started after it, is ready at once
    monkeypatch.setattr(stack_main, "SERVICES", (fake("slow-first", 1.0, 10.0), fake("quick-after", 0.0, 0.5)))
    settings = replace(config.load(), state_dir=tmp_path, stack_mode="native")
    try:
        assert stack_main.up(settings) == 0
    finally:
        listener.close()
    assert started == {"slow-first", "quick-after"}


def test_cluster_node_names_hold_their_port_so_two_clusters_can_share_a_machine(tmp_path: Path) -> None:
    settings = replace(config.load(), state_dir=tmp_path, cluster_rabbitmq_ports=(35682, 35683, 35684))
    other = replace(settings, cluster_rabbitmq_ports=(5682, 5683, 5684))
    names = [cluster_rabbitmq.erlang_name(settings, node) for node in cluster_rabbitmq.NODES]
    assert names == ["rabbit1-35682@localhost", "rabbit2-35683@localhost", "rabbit3-35684@localhost"]
    assert not set(names) & {cluster_rabbitmq.erlang_name(other, node) for node in cluster_rabbitmq.NODES}
    assert [cluster_rabbitmq.node_of(name) for name in names] == list(cluster_rabbitmq.NODES)
    assert cluster_rabbitmq.node_of("rabbit@rabbitmq-3") == "rabbitmq-3"  # under Docker


def test_stopping_a_process_that_exits_at_that_moment_is_no_error(tmp_path: Path, monkeypatch) -> None:
    pid_file = tmp_path / "node.pid"
    pid_file.write_text("424242\n")
    sent: list[int] = []

    def gone(pid: int, sig: int) -> None:  # it was alive when read, and its parent reaped it before the signal
        sent.append(sig)
        raise ProcessLookupError(3, "No such process")

    monkeypatch.setattr(process, "alive", lambda pid: len(sent) < 2)  # still there for SIGKILL and SIGTERM
    monkeypatch.setattr(process, "started_at", lambda pid: 0.0)  # and started before its pid file was written
    monkeypatch.setattr(process.os, "kill", gone)
    assert process.kill_hard(pid_file) is True
    assert sent == [signal.SIGKILL, signal.SIGTERM] and not pid_file.exists()


def test_a_classic_queue_shows_its_home_node_as_leader_and_only_member_on_every_rabbitmq() -> None:
    on_3_10 = {"name": "nb12.classic", "type": "classic", "leader": "", "members": ""}  # 3.10 names neither
    on_4_3 = {"name": "nb12.classic", "type": "classic", "leader": "rabbit2-5683@localhost",
              "members": ["rabbit2-5683@localhost"]}
    shown = {"queue": "nb12.classic", "type": "classic", "leader": "rabbitmq-2", "members": "rabbitmq-2"}
    assert cluster_rabbitmq.queue_row(on_3_10, home="rabbitmq-2") == cluster_rabbitmq.queue_row(on_4_3) == shown
    assert cluster_rabbitmq.queue_row(on_3_10)["leader"] == ""  # no home found: nothing made up
    quorum = {"name": "nb12.quorum", "type": "quorum", "leader": "rabbit1-5682@localhost",
              "members": ["rabbit3-5684@localhost", "rabbit1-5682@localhost", "rabbit2-5683@localhost"]}
    assert cluster_rabbitmq.queue_row(quorum, home="rabbitmq-3") == {
        "queue": "nb12.quorum", "type": "quorum", "leader": "rabbitmq-1", "members": "rabbitmq-1,rabbitmq-2,rabbitmq-3"}


def test_course_names_replace_erlang_node_names() -> None:
    from tooling.stack import cluster

    text = "NOT_FOUND - home node 'rabbit1-21682@localhost' of durable queue 'q' is down; also rabbit@rabbitmq-3"
    assert cluster.course_names(text) == "NOT_FOUND - home node 'rabbitmq-1' of durable queue 'q' is down; also rabbitmq-3"
