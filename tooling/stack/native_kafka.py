"""Apache Kafka from its Maven Central jars on the local JDK: KRaft, one combined node, 127.0.0.1."""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from pathlib import Path

from helpers import config
from tooling.stack import process

POM = Path(__file__).with_name("kafka-pom.xml")
HEAP = ["-Xms256m", "-Xmx512m"]
JVM_FLAGS = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"]

LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def home(settings: config.Settings) -> Path:
    """The folder holding this broker's jars, config, data and logs."""
    return settings.state_dir / "kafka"


def version() -> str:
    """The Kafka release pinned in .env (the same one docker-compose.yml runs)."""
    return config.pinned_versions()["KAFKA_VERSION"]


def lib_dir(settings: config.Settings) -> Path:
    """Where the resolved jars of the pinned release are kept."""
    return settings.cache_dir / f"kafka-{version()}"


def resolve_jars(settings: config.Settings) -> Path:
    """Resolve the broker's jars with Maven once; later calls reuse them and download nothing."""
    target = lib_dir(settings)
    if (target / ".complete").exists():
        return target
    if not shutil.which("mvn"):
        raise RuntimeError("Maven (mvn) is needed to fetch Kafka's jars: sudo apt-get install -y maven "
                           "(macOS: brew install maven), or install Docker and rerun `make up`.")
    print(f"  resolving Kafka {version()} jars with Maven (first run only)...", flush=True)
    command = ["mvn", "-q", "-B", "-f", str(POM), f"-Dkafka.version={version()}",
               "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={target}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError("Maven could not resolve Kafka's jars:\n" + (result.stdout + result.stderr)[-2000:])
    (target / ".complete").write_text(version())
    return target


def kraft_properties(*, node_id: int, voters: str, host: str, port: int, controller: int, data_dir: Path,
                     replicas: int, min_isr: int, partitions: int, extra: tuple[str, ...] = ()) -> str:
    """A KRaft combined-mode node's configuration, loopback only: the lines a single node and a cluster share."""
    return "\n".join([
        "process.roles=broker,controller",
        f"node.id={node_id}",
        f"controller.quorum.voters={voters}",
        f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller}",
        f"advertised.listeners=PLAINTEXT://{host}:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={data_dir}",
        f"num.partitions={partitions}",
        f"offsets.topic.replication.factor={replicas}",
        "offsets.topic.num.partitions=10",
        f"transaction.state.log.replication.factor={replicas}",
        f"transaction.state.log.min.isr={min_isr}",
        f"share.coordinator.state.topic.replication.factor={replicas}",
        f"share.coordinator.state.topic.min.isr={min_isr}",
        "group.initial.rebalance.delay.ms=0",
        "log.retention.hours=168",
        *extra,
        "",
    ])


def server_properties(settings: config.Settings) -> str:
    """The broker's configuration: KRaft combined mode, loopback only, single-node replication."""
    host, port, controller = settings.kafka_host, settings.kafka_port, settings.kafka_controller_port
    return kraft_properties(
        node_id=1, voters=f"1@{host}:{controller}", host=host, port=port, controller=controller,
        data_dir=home(settings) / "data", replicas=1, min_isr=1, partitions=1,
        # The log cleaner looks for work every second, not every 15 s, so compaction shows up in notebook 15.
        extra=("log.cleaner.backoff.ms=1000",),
    )


def new_cluster_id() -> str:
    """A random cluster id in Kafka's own format (22 characters of URL-safe base64; may start with `-`)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def java_command(settings: config.Settings, main_class: str, *args: str) -> list[str]:
    """A java command line running one of Kafka's main classes with the resolved jars."""
    log_config = home(settings) / "log4j2.properties"
    return ["java", *HEAP, *JVM_FLAGS, f"-Dlog4j2.configurationFile={log_config}",
            "-cp", f"{lib_dir(settings)}/*", main_class, *args]


def prepare(settings: config.Settings) -> Path:
    """Write the config files and format the storage once; return the properties file."""
    root = home(settings)
    (root / "logs").mkdir(parents=True, exist_ok=True)
    properties = root / "server.properties"
    properties.write_text(server_properties(settings))
    (root / "log4j2.properties").write_text(LOG4J2.format(log_file=root / "logs" / "server.log"))
    if not (root / "data" / "meta.properties").exists():
        # `--cluster-id=ID` in one argument: an id starting with `-` would otherwise be read as an option
        command = java_command(settings, "kafka.tools.StorageTool", "format",
                               f"--cluster-id={new_cluster_id()}", "-c", str(properties))
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError("formatting Kafka's storage failed:\n" + (result.stdout + result.stderr)[-2000:])
    return properties


def start(settings: config.Settings) -> int:
    """Start the broker in the background; return its pid (readiness is checked by the caller)."""
    if not shutil.which("java"):
        raise RuntimeError("Java 17+ is needed for native Kafka: sudo apt-get install -y default-jre-headless "
                           "(macOS: brew install openjdk@17), or install Docker and rerun `make up`.")
    resolve_jars(settings)
    properties = prepare(settings)
    return process.spawn(java_command(settings, "kafka.Kafka", str(properties)),
                         log_file=home(settings) / "logs" / "stdout.log",
                         pid_file=home(settings) / "kafka.pid")


def log_file(settings: config.Settings) -> Path:
    """The broker's main log."""
    return home(settings) / "logs" / "server.log"


def startup_logs(settings: config.Settings) -> list[Path]:
    """Where a failed start says why: the broker's log, then the JVM's own output (bad flags, no memory)."""
    return [log_file(settings), home(settings) / "logs" / "stdout.log"]


def stop(settings: config.Settings) -> bool:
    """Stop the broker this module started (by its pid file); True if one was running."""
    return process.terminate(home(settings) / "kafka.pid", grace_s=30)


def running(settings: config.Settings) -> bool:
    """True while the broker started by this module is alive."""
    return process.read_pid(home(settings) / "kafka.pid") is not None
