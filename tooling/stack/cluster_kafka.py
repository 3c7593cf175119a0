"""Three Apache Kafka nodes (KRaft, combined broker + controller) on 127.0.0.1, from the same Maven jars."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import config
from tooling.stack import compose, native_kafka, process

NODES = ("kafka-1", "kafka-2", "kafka-3")
HEAP = ["-Xms192m", "-Xmx320m"]
TOOLS_POM = Path(__file__).with_name("kafka-tools-pom.xml")
#: Seconds a broker may miss heartbeats before the controller fences it (default 9): faster failover demos.
SESSION_TIMEOUT_MS = 6000


def root(settings: config.Settings) -> Path:
    """The folder holding the Kafka cluster's nodes and its cluster id."""
    return settings.state_dir / "cluster" / "kafka"


def home(settings: config.Settings, node: str) -> Path:
    """One node's folder: config, data, logs, pid file."""
    return root(settings) / node


def node_id(node: str) -> int:
    """The KRaft node.id of a node name ('kafka-2' -> 2)."""
    if node not in NODES:
        raise ValueError(f"unknown Kafka node {node!r}; the cluster has {', '.join(NODES)}")
    return int(node.rsplit("-", 1)[1])


def address(settings: config.Settings, node: str) -> tuple[str, int]:
    """A node's client host and port."""
    return config.split_host_port(settings.cluster_kafka_addresses[node_id(node) - 1])


def voters(settings: config.Settings) -> str:
    """controller.quorum.voters naming all three controllers."""
    return ",".join(f"{node_id(n)}@{address(settings, n)[0]}:{settings.cluster_kafka_controller_ports[node_id(n) - 1]}"
                    for n in NODES)


def server_properties(settings: config.Settings, node: str) -> str:
    """One node's configuration: combined mode, loopback only, everything replicated three times."""
    host, port = address(settings, node)
    return native_kafka.kraft_properties(
        node_id=node_id(node), voters=voters(settings), host=host, port=port,
        controller=settings.cluster_kafka_controller_ports[node_id(node) - 1], data_dir=home(settings, node) / "data",
        replicas=3, min_isr=2, partitions=3,
        extra=("default.replication.factor=3", f"broker.session.timeout.ms={SESSION_TIMEOUT_MS}",
               "broker.heartbeat.interval.ms=1500", "unclean.leader.election.enable=false"),
    )


def cluster_id(settings: config.Settings) -> str:
    """The one cluster id all three nodes are formatted with (drawn once, then kept)."""
    path = root(settings) / "cluster-id"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(native_kafka.new_cluster_id())
    return path.read_text().strip()


def java(settings: config.Settings, node: str, main_class: str, *args: str, classpath: str = "") -> list[str]:
    """A java command line running one of Kafka's classes for a node, with the resolved jars."""
    log_config = home(settings, node) / "log4j2.properties"
    jars = f"{native_kafka.lib_dir(settings)}/*" + (f":{classpath}" if classpath else "")
    return ["java", *HEAP, *native_kafka.JVM_FLAGS, f"-Dlog4j2.configurationFile={log_config}",
            "-cp", jars, main_class, *args]


def prepare(settings: config.Settings, node: str) -> Path:
    """Write a node's config and format its storage once with the shared cluster id; return its properties."""
    folder = home(settings, node)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    properties = folder / "server.properties"
    properties.write_text(server_properties(settings, node))
    (folder / "log4j2.properties").write_text(native_kafka.LOG4J2.format(log_file=folder / "logs" / "server.log"))
    if not (folder / "data" / "meta.properties").exists():
        command = java(settings, node, "kafka.tools.StorageTool", "format",
                       f"--cluster-id={cluster_id(settings)}", "-c", str(properties))
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"formatting {node}'s storage failed:\n" + (result.stdout + result.stderr)[-2000:])
    return properties


def pid_file(settings: config.Settings, node: str) -> Path:
    """Where a node's pid is kept."""
    return home(settings, node) / "kafka.pid"


def log_file(settings: config.Settings, node: str) -> Path:
    """A node's main log."""
    return home(settings, node) / "logs" / "server.log"


def startup_logs(settings: config.Settings, node: str) -> list[Path]:
    """The logs a node's start-up writes: its own log, and the launcher's output (an early failure is only there)."""
    return [log_file(settings, node), home(settings, node) / "logs" / "stdout.log"]


def start(settings: config.Settings, node: str) -> int:
    """Start one node in the background (formatting it first if new); return its pid."""
    if running(settings, node):
        return process.read_pid(pid_file(settings, node)) or 0
    native_kafka.resolve_jars(settings)
    properties = prepare(settings, node)
    return process.spawn(java(settings, node, "kafka.Kafka", str(properties)),
                         log_file=home(settings, node) / "logs" / "stdout.log", pid_file=pid_file(settings, node))


def stop(settings: config.Settings, node: str) -> bool:
    """Stop a node cleanly (SIGTERM: controlled shutdown hands its leaderships over); True if it ran."""
    return process.terminate(pid_file(settings, node), grace_s=30)


def kill(settings: config.Settings, node: str) -> bool:
    """SIGKILL a node, as a crash or a pulled plug would; True if it ran."""
    return process.kill_hard(pid_file(settings, node))


def running(settings: config.Settings, node: str) -> bool:
    """True while the node started by this module is alive."""
    return process.read_pid(pid_file(settings, node)) is not None


def tools_dir(settings: config.Settings) -> Path:
    """Where Kafka's own command-line tools (kafka-tools, same release) are resolved."""
    return settings.cache_dir / f"kafka-tools-{native_kafka.version()}"


def resolve_tools(settings: config.Settings) -> Path:
    """Resolve org.apache.kafka:kafka-tools with Maven once (quorum and share-group commands)."""
    target = tools_dir(settings)
    if (target / ".complete").exists():
        return target
    command = ["mvn", "-q", "-B", "-f", str(TOOLS_POM), f"-Dkafka.version={native_kafka.version()}",
               "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={target}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError("Maven could not resolve kafka-tools:\n" + (result.stdout + result.stderr)[-2000:])
    (target / ".complete").write_text(native_kafka.version())
    return target


#: Kafka's shell scripts (bin/*.sh in the tarball) and the classes they run.
TOOLS = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
    "kafka-console-share-consumer": "org.apache.kafka.tools.consumer.ConsoleShareConsumer",
    "kafka-share-groups": "org.apache.kafka.tools.consumer.group.ShareGroupCommand",
}
#: Admin-client settings for the tools: a refused or unanswered request fails within seconds, not a minute.
TOOL_CLIENT_CONFIG = "request.timeout.ms=5000\ndefault.api.timeout.ms=10000\n"


def tool(settings: config.Settings, name: str, *args: str) -> list[str]:
    """A java command line for one of Kafka's own tools, by its script name (kafka-topics, ...)."""
    if name not in TOOLS:
        raise ValueError(f"unknown Kafka tool {name!r}; known: {', '.join(TOOLS)}")
    return ["java", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-cp", f"{resolve_tools(settings)}/*", TOOLS[name], *args]


def tool_client_config(settings: config.Settings) -> Path:
    """A client properties file with short timeouts, for the tools' --command-config."""
    path = root(settings) / "tool-client.properties"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TOOL_CLIENT_CONFIG)
    return path


def running_nodes(settings: config.Settings) -> list[str]:
    """The nodes that run now: their containers under compose, their processes natively."""
    if compose.cluster_mode(settings) == "compose":
        return [n for n in NODES if n in compose.running(profile="cluster")]
    return [n for n in NODES if running(settings, n)]


#: How a tool inside a container reaches a node: its INTERNAL listener on the compose network.
IN_NETWORK = "{node}:19092"


def in_container(settings: config.Settings, name: str, args: tuple[str, ...], timeout_s: float,
                 short_timeouts: bool) -> tuple[str, list[str]]:
    """The running node to exec in, and the command that runs a tool there.

    Host addresses become in-network ones, the short-timeout client settings a file of its own in the
    container, the bound a `timeout` inside (an exec's process outlives a killed `docker compose exec`).
    """
    up = running_nodes(settings)
    if not up:
        raise RuntimeError("no Kafka node of the cluster is running: start it with `make up-cluster`")
    addresses = dict(zip(settings.cluster_kafka_addresses, (IN_NETWORK.format(node=n) for n in NODES), strict=True))
    translated = [",".join(addresses.get(part, part) for part in arg.split(",")) for arg in args]
    # the options go first: kafka-metadata-quorum takes them only before its subcommand
    options = '--command-config "$f" ' if short_timeouts else ""
    script = f'f=$(mktemp) && printf "%s" "$0" > "$f" && exec timeout "$1" "$2" {options}"${{@:3}}"'
    return up[0], ["bash", "-c", script, TOOL_CLIENT_CONFIG, f"{timeout_s:g}s", f"/opt/kafka/bin/{name}.sh",
                   *translated]


def run_tool(settings: config.Settings, name: str, *args: str, timeout_s: float = 60,
             short_timeouts: bool = False) -> subprocess.CompletedProcess[str]:
    """Run one of Kafka's tools (bounded); stdout holds its output and errors, minus SLF4J's start-up notes.

    Natively with the resolved jars and the local java; under compose inside a node's container (its
    /opt/kafka/bin). short_timeouts: admin requests fail within seconds (--command-config).
    """
    if name not in TOOLS:
        raise ValueError(f"unknown Kafka tool {name!r}; known: {', '.join(TOOLS)}")
    try:
        if compose.cluster_mode(settings) == "compose":
            node, command = in_container(settings, name, args, timeout_s, short_timeouts)
            result = compose.execute(node, *command, timeout_s=timeout_s + 30, profile="cluster")
        else:
            options = ["--command-config", str(tool_client_config(settings))] if short_timeouts else []
            result = subprocess.run(tool(settings, name, *options, *args), capture_output=True, text=True,
                                    timeout=timeout_s)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        return subprocess.CompletedProcess(expired.cmd, 124, output + f"\nTimeout: no result within {timeout_s:g} s", "")
    lines = (result.stdout + result.stderr).splitlines()
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       "\n".join(line for line in lines if not line.startswith("SLF4J")), "")


def quorum_status(settings: config.Settings, timeout_s: float = 30) -> dict[str, str]:
    """The controller quorum as Kafka's own `kafka-metadata-quorum describe --status` reports it."""
    up = [address(settings, n) for n in running_nodes(settings)]
    result = run_tool(settings, "kafka-metadata-quorum", "--bootstrap-server",
                      ",".join(f"{h}:{p}" for h, p in up) or ",".join(settings.cluster_kafka_addresses),
                      "describe", "--status", timeout_s=timeout_s, short_timeouts=True)
    if result.returncode != 0:
        raise RuntimeError("kafka-metadata-quorum failed: " + result.stdout.strip()[-500:])
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in result.stdout.splitlines()) if v}
