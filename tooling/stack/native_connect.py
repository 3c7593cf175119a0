"""Kafka Connect (distributed mode) with Debezium's PostgreSQL connector, from Maven Central jars, on 127.0.0.1.

One worker against the single-node broker: its config, offset and status topics are compacted topics of
replication factor 1, created by the worker itself. The heap is capped; the REST API listens on loopback only.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from helpers import config
from tooling.stack import native_kafka, process

POM = Path(__file__).with_name("connect-pom.xml")
#: Debezium's PostgreSQL connector as a Connect plugin (its own jars, the outbox EventRouter SMT among them).
DEBEZIUM_PLUGIN = "io.debezium:debezium-connector-postgres:{version}:tar.gz:plugin"
POSTGRES_CONNECTOR = "io.debezium.connector.postgresql.PostgresConnector"
HEAP = ["-Xms128m", "-Xmx384m"]
GROUP_ID = "course-connect"
#: The worker's own compacted topics (the same names under docker compose).
TOPICS = {"config": "course-connect-configs", "offset": "course-connect-offsets", "status": "course-connect-status"}


def home(settings: config.Settings) -> Path:
    """The folder holding the worker's config, logs and pid file."""
    return settings.state_dir / "connect"


def debezium_version() -> str:
    """The Debezium release pinned in .env."""
    return config.pinned_versions()["DEBEZIUM_VERSION"]


def jars_dir(settings: config.Settings) -> Path:
    """Where the worker's jars (libs/) and Debezium's plugin (plugins/) are kept, per pinned release."""
    return settings.cache_dir / f"connect-{native_kafka.version()}-debezium-{debezium_version()}"


def _maven(*args: str, what: str) -> None:
    """Run one quiet Maven command; RuntimeError with its output when it fails."""
    if not shutil.which("mvn"):
        raise RuntimeError("Maven (mvn) is needed to fetch Kafka Connect's jars: sudo apt-get install -y maven "
                           "(macOS: brew install maven), or install Docker and rerun `make up-cdc`.")
    result = subprocess.run(["mvn", "-q", "-B", *args], capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"Maven could not resolve {what}:\n" + (result.stdout + result.stderr)[-2000:])


def resolve_jars(settings: config.Settings) -> Path:
    """Resolve Connect's jars and unpack Debezium's plugin once; later calls reuse them and download nothing."""
    target = jars_dir(settings)
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    print(f"  resolving Kafka Connect {native_kafka.version()} and Debezium {debezium_version()} with Maven "
          f"(first run only)...", flush=True)
    _maven("-f", str(POM), f"-Dkafka.version={native_kafka.version()}", "dependency:copy-dependencies",
           "-DincludeScope=runtime", f"-DoutputDirectory={target / 'libs'}", what="Kafka Connect's jars")
    download = target / "download"
    _maven("dependency:copy", f"-Dartifact={DEBEZIUM_PLUGIN.format(version=debezium_version())}",
           f"-DoutputDirectory={download}", what="Debezium's PostgreSQL connector plugin")
    (target / "plugins").mkdir()
    for archive in download.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(target / "plugins", filter="data")
    shutil.rmtree(download)
    (target / ".complete").write_text(f"{native_kafka.version()} {debezium_version()}\n")
    return target


def worker_properties(settings: config.Settings) -> str:
    """The worker's configuration: distributed mode, JSON without schemas, compacted topics of one replica."""
    return "\n".join([
        f"bootstrap.servers={settings.kafka_bootstrap_servers}",
        f"group.id={GROUP_ID}",
        "key.converter=org.apache.kafka.connect.json.JsonConverter",
        "value.converter=org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable=false",
        "value.converter.schemas.enable=false",
        f"config.storage.topic={TOPICS['config']}",
        f"offset.storage.topic={TOPICS['offset']}",
        f"status.storage.topic={TOPICS['status']}",
        "config.storage.replication.factor=1",
        "offset.storage.replication.factor=1",
        "status.storage.replication.factor=1",
        "offset.storage.partitions=1",
        "status.storage.partitions=1",
        # Source offsets committed every second, not every minute: a crash re-sends seconds of events, not a minute.
        "offset.flush.interval.ms=1000",
        f"listeners=http://{settings.connect_host}:{settings.connect_port}",
        f"rest.advertised.host.name={settings.connect_host}",
        f"rest.advertised.port={settings.connect_port}",
        f"plugin.path={jars_dir(settings) / 'plugins'}",
        # Every plugin here (Connect's own, Debezium's) ships ServiceLoader manifests: reading them replaces a
        # reflective scan of every jar, a minute of start-up on a busy two-core machine.
        "plugin.discovery=service_load",
        "",
    ])


def start(settings: config.Settings) -> int:
    """Start the worker in the background; return its pid (readiness is the caller's)."""
    if not shutil.which("java"):
        raise RuntimeError("Java 17+ is needed for Kafka Connect: sudo apt-get install -y default-jre-headless "
                           "(macOS: brew install openjdk@17), or install Docker and rerun `make up-cdc`.")
    jars = resolve_jars(settings)
    root = home(settings)
    (root / "logs").mkdir(parents=True, exist_ok=True)
    (root / "worker.properties").write_text(worker_properties(settings))
    (root / "log4j2.properties").write_text(native_kafka.LOG4J2.format(log_file=log_file(settings)))
    command = ["java", *HEAP, *native_kafka.JVM_FLAGS, f"-Dlog4j2.configurationFile={root / 'log4j2.properties'}",
               "-cp", f"{jars / 'libs'}/*", "org.apache.kafka.connect.cli.ConnectDistributed",
               str(root / "worker.properties")]
    return process.spawn(command, log_file=root / "logs" / "stdout.log", pid_file=root / "connect.pid")


def log_file(settings: config.Settings) -> Path:
    """The worker's log."""
    return home(settings) / "logs" / "connect.log"


def startup_logs(settings: config.Settings) -> list[Path]:
    """Where a failed start says why: the worker's log, then the JVM's own output."""
    return [log_file(settings), home(settings) / "logs" / "stdout.log"]


def stop(settings: config.Settings) -> bool:
    """Stop the worker this module started (SIGTERM: it stops its tasks and commits their offsets); True if it ran."""
    return process.terminate(home(settings) / "connect.pid", grace_s=30)


def running(settings: config.Settings) -> bool:
    """True while the worker started by this module is alive."""
    return process.read_pid(home(settings) / "connect.pid") is not None
