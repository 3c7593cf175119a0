"""Fault injection against real brokers: a native course stack of its own on spare ports, killed on purpose.

Not part of `pytest tests` (slow, kills brokers; see norecursedirs in pyproject.toml): run it with
`make test-faults`, i.e. `pytest tests/faults`.
The stack lives in a temporary state folder and is always brought down at the end; the course's default
brokers are never touched. Ports: FAULTS_KAFKA_PORT (32092), FAULTS_KAFKA_CONTROLLER_PORT (32093),
FAULTS_RABBITMQ_PORT (32672), FAULTS_RABBITMQ_DIST_PORT (32673).

Keep them below Linux's ephemeral range (32768-60999, /proc/sys/net/ipv4/ip_local_port_range): while a
broker is down, clients keep reconnecting to its port, and the kernel hands out source ports for the same
destination in sequence; when one equals the destination port the socket connects to itself (TCP
simultaneous open) and holds the port, so the restarted broker cannot bind it ("Address already in use",
and for RabbitMQ still for 60 s of TIME_WAIT afterwards). Seen here with 49092 and 37672.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import config
from tooling.stack import process

COLUMNS = ("fault", "injected", "events in", "processed", "redelivered", "lost", "duplicated")


@dataclass
class SpareStack:
    """A native Kafka + RabbitMQ of this test session, with the means to kill and restart them."""

    env: dict[str, str]
    state_dir: Path
    log: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def run(self, command: str) -> str:
        """`python -m tooling.stack COMMAND` against this stack; its output (raises on failure)."""
        result = subprocess.run([sys.executable, "-m", "tooling.stack", command], capture_output=True, text=True,
                                cwd=config.PROJECT_ROOT, env={**os.environ, **self.env}, timeout=600, check=False)
        self.log.append(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"tooling.stack {command} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def restart(self, broker: str, attempts: int = 3) -> None:
        """`up` after a kill. Should a client's self-connected socket hold the port (only possible when
        FAULTS_* ports are set inside the ephemeral range, see the module docstring), the broker exits with
        "Address already in use"; that is retried a couple of times, and noted in the summary."""
        port = (self.env["KAFKA_BOOTSTRAP_SERVERS"] if broker == "kafka" else self.env["RABBITMQ_URL"].split("/")[2])
        port = port.rpartition(":")[2]
        log = self.state_dir / broker / "logs" / ("server.log" if broker == "kafka" else f"course{port}@localhost.log")
        for attempt in range(1, attempts + 1):
            seen = log.stat().st_size if log.is_file() else 0
            try:
                self.run("up")
                return
            except RuntimeError as error:
                fresh = log.read_text(errors="replace")[seen:] if log.is_file() else ""
                if attempt == attempts or not ("Address already in use" in fresh or "eaddrinuse" in fresh):
                    raise
                holders = subprocess.run(["ss", "-tanp"], capture_output=True, text=True, check=False).stdout
                self.notes.append(f"{broker} restart attempt {attempt}: port busy, retried; holders: "
                                  + "; ".join(line.split(None, 3)[-1] for line in holders.splitlines()
                                              if f":{port} " in line)[:400])
                self.log.append(str(error))
                time.sleep(3)

    def pid(self, broker: str) -> int:
        """The live pid of a broker of this stack, from its pid file."""
        pid_file = {"kafka": self.state_dir / "kafka" / "kafka.pid",
                    "rabbitmq": self.state_dir / "rabbitmq" / "rabbitmq.pid"}[broker]
        pid = process.read_pid(pid_file)
        if pid is None:
            raise RuntimeError(f"{broker} of the fault stack is not running ({pid_file})")
        return pid

    def kill(self, broker: str) -> None:
        """SIGKILL a broker of this stack (a hard stop: no shutdown hooks, no flush) and wait until it is gone."""
        pid = self.pid(broker)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while process.alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not process.alive(pid), f"{broker} pid {pid} survived SIGKILL"


@pytest.fixture(scope="session")
def spare_stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[SpareStack]:
    """Bring up a native stack on spare ports, point this process's settings at it, always bring it down."""
    state_dir = tmp_path_factory.mktemp("fault-stack")
    getenv = os.environ.get
    env = {
        "COURSE_STACK": "native",
        "COURSE_STATE_DIR": str(state_dir),
        "COURSE_DATA_DIR": str(tmp_path_factory.mktemp("fault-data")),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{getenv('FAULTS_KAFKA_PORT', '32092')}",
        "KAFKA_CONTROLLER_PORT": getenv("FAULTS_KAFKA_CONTROLLER_PORT", "32093"),
        "RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:{getenv('FAULTS_RABBITMQ_PORT', '32672')}/%2F",
        "RABBITMQ_DIST_PORT": getenv("FAULTS_RABBITMQ_DIST_PORT", "32673"),
    }
    ports = [int(env["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")[2]), int(env["KAFKA_CONTROLLER_PORT"]),
             int(env["RABBITMQ_URL"].split("/")[2].rpartition(":")[2]), int(env["RABBITMQ_DIST_PORT"])]
    busy = [port for port in ports if process.port_listening(port)]
    if busy:  # `up` would reuse whatever answers there, and the faults would hit someone else's broker
        pytest.exit(f"fault-stack ports {busy} are in use: set FAULTS_KAFKA_PORT, FAULTS_KAFKA_CONTROLLER_PORT, "
                    "FAULTS_RABBITMQ_PORT, FAULTS_RABBITMQ_DIST_PORT to free ports below 32768", returncode=2)
    saved = {key: os.environ.get(key) for key in env}
    stack = SpareStack(env, state_dir)
    request.config.stash[NOTES_KEY] = stack.notes
    os.environ.update(env)
    try:
        stack.run("up")
        yield stack
    finally:
        try:
            stack.run("down")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="session")
def fault_table(request: pytest.FixtureRequest) -> list[dict[str, object]]:
    """Rows of the fault table, printed at the end of the run."""
    rows: list[dict[str, object]] = []
    request.config.stash[TABLE_KEY] = rows
    return rows


TABLE_KEY = pytest.StashKey[list]()
NOTES_KEY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print one row per injected fault: injected N times, events in / processed / redelivered / lost / duplicated."""
    rows = config.stash.get(TABLE_KEY, [])
    for note in config.stash.get(NOTES_KEY, []):
        terminalreporter.write_line(f"note: {note}")
    if not rows:
        return
    widths = [max(len(str(row.get(column, ""))) for row in [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows])
              for column in COLUMNS]
    terminalreporter.section("fault table")
    for row in [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows]:
        terminalreporter.write_line("  ".join(str(row.get(c, "")).rjust(w) if i else str(row.get(c, "")).ljust(w)
                                              for i, (c, w) in enumerate(zip(COLUMNS, widths, strict=True))))
