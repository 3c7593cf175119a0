"""The cluster profile: three Kafka brokers and three RabbitMQ nodes, and the fault handles notebooks 11-12 call.

    python -m tooling.stack up --cluster kafka|rabbitmq|all     (make up-cluster)
    python -m tooling.stack down --cluster ...                  (make down-cluster)
    python -m tooling.stack status --cluster ...                (make status-cluster)

From a notebook (this is the course's tooling, not a Kafka or RabbitMQ API):
    from tooling.stack import cluster
    cluster.ensure_healthy("kafka")     # every node up, rejoined and in sync (a half-finished run is repaired)
    cluster.kill("kafka-2")             # SIGKILL, like a crash; cluster.stop() is a clean shutdown
    cluster.start("kafka-2")            # back, and waited for (bounded)

Natively each node is a process of ours (pid files under .stack/cluster/); with COURSE_STACK=compose the
nodes are the `cluster` profile's services in docker-compose.yml, and rabbitmqctl and Kafka's tools run inside
their containers (`docker compose exec`): no java, mvn or rabbitmqctl needed on the host. The mode follows how
`up --cluster` started the nodes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from helpers import clients, cluster_io, config
from tooling.stack import cluster_kafka, cluster_rabbitmq, compose, process

GROUPS = {"kafka": cluster_kafka.NODES, "rabbitmq": cluster_rabbitmq.NODES}
GROUPS["all"] = GROUPS["kafka"] + GROUPS["rabbitmq"]
#: Resident memory a cluster needs beyond what is running now (measured RSS plus headroom), in MB.
MEMORY_NEEDED_MB = {"kafka": 1300, "rabbitmq": 450}
READY_TIMEOUT_S = 180.0
HEALTHY_TIMEOUT_S = 180.0


def nodes(which: str) -> tuple[str, ...]:
    """The nodes of 'kafka', 'rabbitmq' or 'all'."""
    if which not in GROUPS:
        raise ValueError(f"--cluster takes kafka, rabbitmq or all, not {which!r}")
    return GROUPS[which]


def module(node: str) -> ModuleType:
    """The module that runs a node natively."""
    if node in cluster_kafka.NODES:
        return cluster_kafka
    if node in cluster_rabbitmq.NODES:
        return cluster_rabbitmq
    raise ValueError(f"unknown node {node!r}; the cluster has {', '.join(GROUPS['all'])}")


def state_file(settings: config.Settings) -> Path:
    """Where `up --cluster` records how it started the nodes (native or compose)."""
    return settings.state_dir / "cluster" / "state.json"


def mode(settings: config.Settings) -> str:
    """How the cluster runs: what `up` recorded, else what it would choose now."""
    return compose.cluster_mode(settings)


def _record(settings: config.Settings, how: str) -> None:
    """Remember how the cluster was started."""
    state_file(settings).parent.mkdir(parents=True, exist_ok=True)
    state_file(settings).write_text(json.dumps({"mode": how}))


def running(settings: config.Settings, node: str) -> bool:
    """True while a node runs: its container under compose, its process natively."""
    if mode(settings) == "compose":
        return node in compose.running(profile="cluster")
    return module(node).running(settings, node)


def first_running(settings: config.Settings, group: tuple[str, ...]) -> str:
    """The first node of a group that runs now (the one to ask); RuntimeError when none does."""
    for node in group:
        if running(settings, node):
            return node
    raise RuntimeError(f"no node of {', '.join(group)} is running: start the cluster with `make up-cluster`")


def ports(settings: config.Settings, node: str) -> list[int]:
    """The ports a node listens on (client and controller / distribution)."""
    if node in cluster_kafka.NODES:
        i = cluster_kafka.node_id(node) - 1
        return [cluster_kafka.address(settings, node)[1], settings.cluster_kafka_controller_ports[i]]
    i = cluster_rabbitmq.index(node) - 1
    return [settings.cluster_rabbitmq_ports[i], settings.cluster_rabbitmq_dist_ports[i]]


def refuse_foreign_ports(settings: config.Settings, node: str) -> None:
    """Raise when a node's port is taken by something that is not this node of the course's cluster."""
    if running(settings, node):
        return
    taken = [p for p in ports(settings, node) if clients.port_open("127.0.0.1", p)]
    if taken:
        raise RuntimeError(f"{node}: port(s) {taken} are taken by something that is not the course's cluster. "
                           f"Stop it, or move the cluster (CLUSTER_* variables in helpers/config.py).")


def memory_available_mb() -> int | None:
    """MemAvailable from /proc/meminfo in MB (None where there is no /proc)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except FileNotFoundError:
        return None
    return None


def check_memory(settings: config.Settings, which: str) -> None:
    """Fail fast, saying what is needed, when the machine cannot hold the nodes still to start."""
    missing = [n for n in nodes(which) if not running(settings, n)]
    need = sum(MEMORY_NEEDED_MB[g] * sum(n in missing for n in GROUPS[g]) // 3 for g in ("kafka", "rabbitmq"))
    free = memory_available_mb()
    if need and free is not None and free < need:
        raise RuntimeError(f"the {which} cluster needs about {need} MB of free memory to start "
                           f"{len(missing)} node(s); this machine has {free} MB available. Free memory first "
                           f"(e.g. `make down` stops the single-node brokers: notebooks 11-12 use only the cluster), "
                           f"or run notebooks 11-12 on a machine with 4 GB or more.")


def node_ready(settings: config.Settings, node: str) -> bool:
    """True when a node serves clients and is a live member of its cluster."""
    if not clients.port_open("127.0.0.1", ports(settings, node)[0]):
        return False
    try:
        if node in cluster_kafka.NODES:
            return node in cluster_io.live_brokers()
        return node in cluster_rabbitmq.members(settings, node)["running_nodes"]
    except Exception:  # not answering yet
        return False


def _known(node: str) -> str:
    """The node's name, once checked to be one of the cluster's."""
    module(node)
    return node


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.5) -> float:
    """Poll `condition()` until true (bounded); return the seconds it took, or raise TimeoutError."""
    return cluster_io.wait_until(condition, timeout_s, f"{what} (details: `make status-cluster`)", interval_s)


def _compose(*args: str, timeout_s: float = compose.UP_TIMEOUT_S) -> None:
    """Run one docker compose command on the cluster profile (RuntimeError when it fails)."""
    compose.checked(*args, timeout_s=timeout_s, profile="cluster")


def kill(node: str) -> bool:
    """Crash a node (SIGKILL: no goodbye to the cluster); True if it was running."""
    settings = config.load()
    if mode(settings) == "compose":
        killed = running(settings, _known(node))
        _compose("kill", "-s", "SIGKILL", node)
    else:
        killed = module(node).kill(settings, node)
    _wait_ports_closed(settings, node)
    return killed


def stop(node: str) -> bool:
    """Shut a node down cleanly (it hands its leaderships over first); True if it was running."""
    settings = config.load()
    if mode(settings) == "compose":
        stopped = running(settings, _known(node))
        _compose("stop", node)
    else:
        stopped = module(node).stop(settings, node)
    _wait_ports_closed(settings, node)
    return stopped


def _wait_ports_closed(settings: config.Settings, node: str, timeout_s: float = 30.0) -> None:
    """Wait (bounded) until a stopped node's ports are released by the operating system."""
    wait_for(lambda: not any(clients.port_open("127.0.0.1", p) for p in ports(settings, node)), timeout_s,
             f"{node}'s ports released", interval_s=0.1)


def start(node: str, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Start a node (no-op when it runs) and wait until it is a live member again; return the seconds waited."""
    settings = config.load()
    started = time.monotonic()
    if mode(settings) == "compose":
        check_memory(settings, node.split("-")[0])
        compose.start([_known(node)], profile="cluster")
    else:
        refuse_foreign_ports(settings, node)
        check_memory(settings, node.split("-")[0])
        module(node).start(settings, node)
    wait_for(lambda: _alive_or_raise(settings, node) and node_ready(settings, node), timeout_s, f"{node} ready")
    return time.monotonic() - started


def _alive_or_raise(settings: config.Settings, node: str) -> bool:
    """True while a native node's process lives; raise with its logs when it exited during start-up."""
    if mode(settings) == "native" and not module(node).running(settings, node):
        raise RuntimeError(f"{node} exited during start-up.\n{process.tails(module(node).startup_logs(settings, node))}")
    return True


def _join_rabbitmq(settings: config.Settings) -> None:
    """Join rabbitmq-2 and -3 to rabbitmq-1's cluster where they are not members yet."""
    seed = cluster_rabbitmq.NODES[0]
    for node in cluster_rabbitmq.NODES[1:]:
        if node not in cluster_rabbitmq.members(settings, seed)["disk_nodes"]:
            cluster_rabbitmq.join(settings, node, seed)


def up(which: str, report: Callable[[str], object] = print) -> int:
    """Start every node of the cluster(s) that is not running, join them, and wait until all are ready."""
    settings = config.load()
    how = mode(settings)
    _record(settings, how)
    started = time.monotonic()
    if how == "compose":
        check_memory(settings, which)
        compose.start(list(nodes(which)), profile="cluster")
    else:
        check_memory(settings, which)
        if which in ("kafka", "all"):
            cluster_kafka.resolve_tools(settings)  # Kafka's own tools (quorum, share groups), resolved once
        for node in nodes(which):
            refuse_foreign_ports(settings, node)
            module(node).start(settings, node)
        if which in ("rabbitmq", "all"):
            for node in cluster_rabbitmq.NODES:
                wait_for(lambda n=node: _alive_or_raise(settings, n)
                         and cluster_rabbitmq.ctl(settings, n, "await_startup", timeout_s=10).returncode == 0,
                         READY_TIMEOUT_S, f"{node} started")
            _join_rabbitmq(settings)
    for node in nodes(which):
        wait_for(lambda n=node: _alive_or_raise(settings, n) and node_ready(settings, n), READY_TIMEOUT_S,
                 f"{node} ready")
    for group in ("kafka", "rabbitmq"):
        if set(GROUPS[group]) <= set(nodes(which)):
            report(f"{group:<9} cluster of 3 ready ({how}) in {time.monotonic() - started:.1f} s")
    return 0


def down(which: str) -> int:
    """Stop the nodes the cluster profile started."""
    settings = config.load()
    if mode(settings) == "compose":
        _compose("rm", "--stop", "--force", *nodes(which))
        return 0
    for node in reversed(nodes(which)):  # RabbitMQ: the seed node stops last, so it restarts first cleanly
        print(f"{node:<11} {'stopped' if module(node).stop(settings, node) else 'was not running'}")
    return 0


def ensure_healthy(which: str = "all", timeout_s: float = HEALTHY_TIMEOUT_S) -> dict[str, str]:
    """Start any node that is down and wait until all are members and Kafka's partitions are in sync."""
    settings = config.load()
    if not all(running(settings, n) for n in nodes(which)):
        up(which, report=lambda _line: None)
    for node in nodes(which):
        wait_for(lambda n=node: node_ready(settings, n), timeout_s, f"{node} ready")
    if which in ("kafka", "all"):
        wait_for(lambda: not under_replicated(), timeout_s, "every Kafka partition back in sync")
    return {node: "up" for node in nodes(which)}


def under_replicated() -> list[str]:
    """Partitions (topic/partition) whose ISR is smaller than their replica set."""
    topics = cluster_io.ask(lambda client: client.describe_topics())
    return sorted(f"{t['name']}/{p['partition_index']}" for t in topics for p in t["partitions"]
                  if len(p["isr_nodes"]) < len(p["replica_nodes"]))


def leader_of(topic: str, partition: int) -> str:
    """The Kafka node that leads a partition now."""
    return cluster_io.leader_of(topic, partition)


def queue_leader(queue: str, via: str | None = None) -> str:
    """The RabbitMQ node that leads a queue now (asked of a running node), or "" while that node does not list it.

    Just after a leader dies, a survivor can leave a stream out of its list for a moment (seen on RabbitMQ 4.3), so
    a failover waits until a survivor is named, not until the old leader's name is gone."""
    settings = config.load()
    asked = via or first_running(settings, cluster_rabbitmq.NODES)
    return next((str(row["leader"]) for row in cluster_rabbitmq.queue_leaders(settings, asked)
                 if row["queue"] == queue), "")


def controller_leader() -> str:
    """The Kafka node leading the KRaft controller quorum (asked with Kafka's own quorum tool)."""
    return cluster_io.node_name(int(cluster_kafka.quorum_status(config.load())["LeaderId"]))


def status(which: str) -> int:
    """Print each node up or down, then the Kafka controller and partition leaders, RabbitMQ members and leaders."""
    settings = config.load()
    ready = {node: node_ready(settings, node) for node in nodes(which)}
    print(f"{'node':<11} {'address':<17} state")
    for node, ok in ready.items():
        print(f"{node:<11} 127.0.0.1:{ports(settings, node)[0]:<7} {'up' if ok else 'DOWN'}")
    kafka_up = [n for n in cluster_kafka.NODES if ready.get(n)]
    if kafka_up:
        print(f"\nKafka controller (quorum leader): {_safely(controller_leader)}")
        print(_safely(lambda: _partition_leaders()))
    rabbit_up = [n for n in cluster_rabbitmq.NODES if ready.get(n)]
    if rabbit_up:
        print(f"\nRabbitMQ members: {_safely(lambda: cluster_rabbitmq.members(settings, rabbit_up[0]))}")
        print(_safely(lambda: _queue_leaders(settings, rabbit_up[0])))
    return 0 if all(ready.values()) else 1


def _partition_leaders() -> str:
    """Every partition's leader and ISR, as a table."""
    described = cluster_io.ask(lambda client: client.describe_topics())
    topics = sorted(t["name"] for t in described if not t["name"].startswith("__"))
    tables = [cluster_io.partitions_table(t).assign(topic=t) for t in topics]
    if not tables:
        return "no topics yet"
    import pandas as pd

    return pd.concat(tables)[["topic", "partition", "leader", "replicas", "isr"]].to_string(index=False)


def _queue_leaders(settings: config.Settings, node: str) -> str:
    """Every replicated queue's leader and members, as lines."""
    rows = [r for r in cluster_rabbitmq.queue_leaders(settings, node) if r["type"] in ("quorum", "stream")]
    lines = [f"  {r['queue']:<32} {r['type']:<7} leader {r['leader']:<11} members {r['members']}" for r in rows]
    return "\n".join(lines) or "  no quorum or stream queues yet"


def _safely(query: Callable[[], object]) -> str:
    """A status query's answer, or what went wrong (status never raises)."""
    try:
        return str(query())
    except Exception as error:  # status reports any failure rather than raising
        return f"(unavailable: {type(error).__name__}: {error})"


USAGE = "usage: python -m tooling.stack up|down|status --cluster kafka|rabbitmq|all"


def main(argv: list[str]) -> int:
    """Dispatch `up|down|status --cluster WHICH` (also `--cluster=WHICH`)."""
    words = [part for arg in argv for part in arg.split("=", 1)]
    if len(words) != 3 or words[1] != "--cluster" or words[0] not in ("up", "down", "status"):
        print(USAGE)
        return 2
    try:
        nodes(words[2])
        return {"up": up, "down": down, "status": status}[words[0]](words[2])
    except (RuntimeError, TimeoutError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def quorum() -> dict[str, str]:
    """The KRaft controller quorum: leader, epoch, voters and observers (Kafka's own quorum tool)."""
    status = cluster_kafka.quorum_status(config.load())
    return {"leader": cluster_io.node_name(int(status["LeaderId"])), "epoch": status["LeaderEpoch"],
            "voters": status["CurrentVoters"], "max follower lag": status["MaxFollowerLag"]}


def address(node: str) -> str:
    """A node's client address, host:port."""
    settings = config.load()
    host = cluster_kafka.address(settings, node)[0] if node in cluster_kafka.NODES else settings.rabbitmq_host
    return f"{host}:{ports(settings, node)[0]}"


def kafka_tool(name: str, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    """Run one of Kafka's own command-line tools (kafka-topics, kafka-console-share-consumer, ...) on the cluster.

    Admin tools get short client timeouts (--command-config); stdout holds the tool's output and errors.
    """
    return cluster_kafka.run_tool(config.load(), name, *args, timeout_s=timeout_s,
                                  short_timeouts=name == "kafka-topics")


def course_names(text: str) -> str:
    """`text` with each RabbitMQ Erlang node name ('rabbit1-5682@localhost', 'rabbit@rabbitmq-1') as the course's."""
    return re.sub(r"rabbit\d-\d+@localhost|rabbit@rabbitmq-\d", lambda m: cluster_rabbitmq.node_of(m.group()), text)


def rabbitmq_members() -> dict[str, list[str]]:
    """The RabbitMQ cluster's disk nodes and running nodes, as a running node reports them."""
    settings = config.load()
    return cluster_rabbitmq.members(settings, first_running(settings, cluster_rabbitmq.NODES))


def queues(prefix: str = "") -> list[dict[str, object]]:
    """Queues whose name starts with `prefix`: type, leader and members (asked of a running node)."""
    settings = config.load()
    asked = first_running(settings, cluster_rabbitmq.NODES)
    return sorted((r for r in cluster_rabbitmq.queue_leaders(settings, asked) if str(r["queue"]).startswith(prefix)),
                  key=lambda r: str(r["queue"]))
