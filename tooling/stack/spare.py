"""A native course stack of a test suite's own, on fixed spare ports, that the suite may stop, kill and restart.

    env = spare.environment("FAULTS", 32000, state_dir, data_dir)   # FAULTS_KAFKA_PORT (32092) ... override
    stack = spare.SpareStack(env, state_dir); stack.run("up"); ...; stack.run("down")

Port block BASE: Kafka BASE+92 (controller +93), RabbitMQ +672 (distribution +673, management +674, MQTT +675,
STOMP +676), Redis +679; each can be moved with PREFIX_KAFKA_PORT, PREFIX_KAFKA_CONTROLLER_PORT,
PREFIX_RABBITMQ_PORT, PREFIX_RABBITMQ_DIST_PORT, PREFIX_RABBITMQ_MANAGEMENT_PORT, PREFIX_RABBITMQ_MQTT_PORT,
PREFIX_RABBITMQ_STOMP_PORT, PREFIX_REDIS_PORT.

Keep them below Linux's ephemeral range (32768-60999, /proc/sys/net/ipv4/ip_local_port_range): while a
broker is down, clients keep reconnecting to its port, and the kernel hands out source ports for the same
destination in sequence; when one equals the destination port the socket connects to itself (TCP
simultaneous open) and holds the port, so the restarted broker cannot bind it ("Address already in use",
and for RabbitMQ still for 60 s of TIME_WAIT afterwards). Seen here with 49092 and 37672.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from helpers import clients, config, waiting
from tooling.stack import process

#: Offsets of each port in a block, and the variable (after the prefix) that moves it.
OFFSETS = {"KAFKA_PORT": 92, "KAFKA_CONTROLLER_PORT": 93, "RABBITMQ_PORT": 672, "RABBITMQ_DIST_PORT": 673,
           "RABBITMQ_MANAGEMENT_PORT": 674, "RABBITMQ_MQTT_PORT": 675, "RABBITMQ_STOMP_PORT": 676,
           "REDIS_PORT": 679}


def environment(prefix: str, base: int, state_dir: Path, data_dir: Path) -> dict[str, str]:
    """The course's settings for a native stack in state_dir on port block `base` (PREFIX_* variables override)."""
    port = {name: os.environ.get(f"{prefix}_{name}", str(base + offset)) for name, offset in OFFSETS.items()}
    return {
        "COURSE_STACK": "native",
        "COURSE_STATE_DIR": str(state_dir),
        "COURSE_DATA_DIR": str(data_dir),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port['KAFKA_PORT']}",
        "KAFKA_CONTROLLER_PORT": port["KAFKA_CONTROLLER_PORT"],
        "RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:{port['RABBITMQ_PORT']}/%2F",
        "RABBITMQ_DIST_PORT": port["RABBITMQ_DIST_PORT"],
        "RABBITMQ_MANAGEMENT_PORT": port["RABBITMQ_MANAGEMENT_PORT"],
        "RABBITMQ_MQTT_PORT": port["RABBITMQ_MQTT_PORT"],
        "RABBITMQ_STOMP_PORT": port["RABBITMQ_STOMP_PORT"],
        "REDIS_URL": f"redis://127.0.0.1:{port['REDIS_PORT']}/0",
    }


def busy_ports(env: dict[str, str]) -> list[int]:
    """The ports of `env`'s stack that something already answers on (`up` would reuse someone else's broker)."""
    ports = [int(env["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")[2]), int(env["KAFKA_CONTROLLER_PORT"]),
             int(env["RABBITMQ_URL"].split("/")[2].rpartition(":")[2]), int(env["RABBITMQ_DIST_PORT"]),
             int(env["RABBITMQ_MANAGEMENT_PORT"]), int(env["RABBITMQ_MQTT_PORT"]), int(env["RABBITMQ_STOMP_PORT"]),
             int(env["REDIS_URL"].rpartition(":")[2].partition("/")[0])]
    return [port for port in ports if clients.port_open("127.0.0.1", port)]


@dataclass
class SpareStack:
    """A native Kafka + RabbitMQ + Redis of one test session, with the means to stop, kill and restart them."""

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

    @contextlib.contextmanager
    def serving(self) -> Iterator[SpareStack]:
        """Point this process's settings at the stack and bring it up; always bring it down and restore them."""
        saved = {key: os.environ.get(key) for key in self.env}
        os.environ.update(self.env)
        try:
            self.run("up")
            yield self
        finally:
            try:
                self.run("down")
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

    def restart(self, broker: str, attempts: int = 3) -> None:
        """`up` after a kill. Should a client's self-connected socket hold the port (only possible when the
        ports are set inside the ephemeral range, see the module docstring), the broker exits with
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
            raise RuntimeError(f"{broker} of the spare stack is not running ({pid_file})")
        return pid

    def kill(self, broker: str) -> None:
        """SIGKILL a broker of this stack (a hard stop: no shutdown hooks, no flush) and wait until it is gone."""
        pid = self.pid(broker)
        os.kill(pid, signal.SIGKILL)
        waiting.until(lambda: not process.alive(pid), 30, f"{broker} pid {pid} survived SIGKILL", interval_s=0.1)

    def stop(self, broker: str) -> None:
        """Stop a broker of this stack as `make down` does (SIGTERM by its pid files, SIGKILL after a grace),
        leaving epmd alone: other RabbitMQ nodes on this host may be registered with it."""
        home = self.state_dir / broker
        pid_files = [home / "kafka.pid"] if broker == "kafka" else [home / "rabbitmq.pid", home / "launcher.pid"]
        pid = self.pid(broker)
        for pid_file in pid_files:
            process.terminate(pid_file, grace_s=30)
        waiting.until(lambda: not process.alive(pid), 60, f"{broker} pid {pid} did not stop", interval_s=0.1)
