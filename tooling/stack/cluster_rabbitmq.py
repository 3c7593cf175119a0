"""Three nodes of the local rabbitmq-server joined into one cluster, as the current user, under .stack/cluster."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

from helpers import config
from tooling.stack import compose, native_rabbitmq, process

NODES = ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3")
CTL_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmqctl", "/opt/homebrew/sbin/rabbitmqctl", "/usr/local/sbin/rabbitmqctl")


def root(settings: config.Settings) -> Path:
    """The folder holding the RabbitMQ cluster: one shared HOME (the Erlang cookie) and a folder per node."""
    return settings.state_dir / "cluster" / "rabbitmq"


def index(node: str) -> int:
    """A node's position, 1-3 ('rabbitmq-2' -> 2)."""
    if node not in NODES:
        raise ValueError(f"unknown RabbitMQ node {node!r}; the cluster has {', '.join(NODES)}")
    return int(node.rsplit("-", 1)[1])


def erlang_name(settings: config.Settings, node: str) -> str:
    """The Erlang node name (rabbit2-5683@localhost), as rabbitmqctl -n and queue leaders name it.

    It holds the node's AMQP port: names are unique per machine (epmd), so two clusters on other ports coexist.
    """
    return f"rabbit{index(node)}-{port(settings, node)}@localhost"


def node_of(erlang: str) -> str:
    """The course's node name for an Erlang node name ('rabbit2-5683@localhost', or under Docker 'rabbit@rabbitmq-2')."""
    name, _, host = erlang.partition("@")
    if host in NODES:
        return host
    return f"rabbitmq-{name.removeprefix('rabbit').split('-')[0]}"


def port(settings: config.Settings, node: str) -> int:
    """A node's AMQP port."""
    return settings.cluster_rabbitmq_ports[index(node) - 1]


def home(settings: config.Settings, node: str) -> Path:
    """One node's folder: config, data, logs, pid file."""
    return root(settings) / node


def environment(settings: config.Settings, node: str) -> dict[str, str]:
    """rabbitmq-server's and rabbitmqctl's environment for one node: loopback only, files under its folder."""
    folder = home(settings, node)
    return {
        **os.environ,
        "HOME": str(root(settings) / "home"),
        "RABBITMQ_NODENAME": erlang_name(settings, node),
        "RABBITMQ_NODE_IP_ADDRESS": settings.rabbitmq_host,
        "RABBITMQ_NODE_PORT": str(port(settings, node)),
        "RABBITMQ_DIST_PORT": str(settings.cluster_rabbitmq_dist_ports[index(node) - 1]),
        "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
        "RABBITMQ_LOG_BASE": str(folder / "logs"),
        "RABBITMQ_PID_FILE": str(folder / "rabbitmq.pid"),
        "ERL_CRASH_DUMP": str(folder / "logs" / "erl_crash.dump"),  # not the current folder (the repository)
        "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "ERL_EPMD_PORT": str(native_rabbitmq.epmd_port()),
    }


def prepare(settings: config.Settings, node: str) -> None:
    """Write a node's config files and the cluster's shared Erlang cookie (once)."""
    folder = home(settings, node)
    for sub in ("mnesia", "logs"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    cookie = root(settings) / "home" / ".erlang.cookie"
    if not cookie.exists():
        cookie.parent.mkdir(parents=True, exist_ok=True)
        cookie.write_text(secrets.token_hex(20).upper())
        cookie.chmod(0o400)
    (folder / "rabbitmq.conf").write_text(
        "loopback_users.guest = true\n"
        "log.file.level = info\n"
        "log.console = false\n"
        "cluster_partition_handling = pause_minority\n"
        + native_rabbitmq.deprecated_features_denied()
    )
    (folder / "advanced.config").write_text("[].\n")
    (folder / "enabled_plugins").write_text("[].\n")


def ctl_binary() -> str:
    """The rabbitmqctl script that runs as the calling user."""
    for candidate in CTL_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(native_rabbitmq.INSTALL_HINT)


def ctl(settings: config.Settings, node: str, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    """Run rabbitmqctl against one node (bounded); the result is returned, not checked.

    Natively the host's rabbitmqctl with the node's name and cookie; under compose the node's own, in its container.
    """
    if compose.cluster_mode(settings) == "compose":
        command = ["rabbitmqctl", *args]
    else:
        command = [ctl_binary(), "-n", erlang_name(settings, node), *args]
    try:
        if compose.cluster_mode(settings) == "compose":
            return compose.execute(node, "timeout", f"{timeout_s:g}s", *command, timeout_s=timeout_s + 30,
                                   profile="cluster")
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                              env=environment(settings, node))
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"rabbitmqctl {' '.join(args)}: no answer in {timeout_s} s")


def pid_file(settings: config.Settings, node: str) -> Path:
    """Where the node's Erlang VM writes its pid."""
    return home(settings, node) / "rabbitmq.pid"


def launcher_file(settings: config.Settings, node: str) -> Path:
    """Where the launcher script's pid is kept (it exits with the VM)."""
    return home(settings, node) / "launcher.pid"


def log_file(settings: config.Settings, node: str) -> Path:
    """A node's main log."""
    return home(settings, node) / "logs" / f"{erlang_name(settings, node)}.log"


def startup_logs(settings: config.Settings, node: str) -> list[Path]:
    """The logs a node's start-up writes: its own log, and the launcher's output (an early failure is only there)."""
    return [log_file(settings, node), home(settings, node) / "logs" / "stdout.log"]


def start(settings: config.Settings, node: str) -> int:
    """Start one node in the background (it rejoins its cluster by itself once joined); return the launcher pid."""
    if running(settings, node):
        return process.read_pid(launcher_file(settings, node)) or 0
    prepare(settings, node)
    return process.spawn([native_rabbitmq.server_binary()], log_file=home(settings, node) / "logs" / "stdout.log",
                         pid_file=launcher_file(settings, node), env=environment(settings, node))


def stop(settings: config.Settings, node: str) -> bool:
    """Stop a node cleanly (SIGTERM); True if it ran."""
    stopped = process.terminate(pid_file(settings, node), grace_s=30)
    process.terminate(launcher_file(settings, node), grace_s=5)
    return stopped


def kill(settings: config.Settings, node: str) -> bool:
    """SIGKILL a node's Erlang VM, as a crash would; True if it ran."""
    killed = process.kill_hard(pid_file(settings, node))
    if killed:
        process.terminate(launcher_file(settings, node), grace_s=5)
    return killed


def running(settings: config.Settings, node: str) -> bool:
    """True while the node's launcher (and so its VM) is alive."""
    return process.read_pid(launcher_file(settings, node)) is not None


def members(settings: config.Settings, node: str = "rabbitmq-1") -> dict[str, list[str]]:
    """The cluster as one node sees it: {'disk_nodes': [...], 'running_nodes': [...]} in course names."""
    result = ctl(settings, node, "cluster_status", "--formatter", "json", timeout_s=30)
    if result.returncode != 0:
        raise RuntimeError(f"{node} did not report its cluster: {(result.stdout + result.stderr).strip()[-300:]}")
    status = json.loads(result.stdout)
    return {key: sorted(node_of(n) for n in status.get(key, [])) for key in ("disk_nodes", "running_nodes")}


def join(settings: config.Settings, node: str, seed: str = "rabbitmq-1") -> None:
    """Join a fresh node to the seed's cluster: stop_app, join_cluster, start_app."""
    for args in (("stop_app",), ("join_cluster", erlang_name(settings, seed)), ("start_app",)):
        result = ctl(settings, node, *args, timeout_s=120)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl -n {erlang_name(settings, node)} {' '.join(args)} failed: "
                               f"{(result.stdout + result.stderr).strip()[-500:]}")


def queue_leaders(settings: config.Settings, node: str) -> list[dict[str, object]]:
    """Every queue with its type, leader node and members, as the given node reports them.

    A classic queue lives on one node, its only member. RabbitMQ 4.3 reports that node as its leader and member;
    3.10 reports neither, so the node is read from the queue process's pid (`<rabbit1-5682@localhost.1.2.3>`).
    """
    result = ctl(settings, node, "list_queues", "name", "type", "leader", "members", "--formatter", "json",
                 timeout_s=30)
    if result.returncode != 0:
        raise RuntimeError(f"{node} could not list queues: {(result.stdout + result.stderr).strip()[-300:]}")
    rows = json.loads(result.stdout or "[]")
    homes = classic_homes(settings, node) if any(r.get("type") == "classic" and not r.get("leader") for r in rows) \
        else {}
    return [queue_row(r, homes.get(str(r["name"]), "")) for r in rows]


def classic_homes(settings: config.Settings, node: str) -> dict[str, str]:
    """Each queue's node from its process id (the JSON formatter drops the node from a pid; the table keeps it)."""
    result = ctl(settings, node, "list_queues", "name", "pid", "--quiet", "--no-table-headers", timeout_s=30)
    if result.returncode != 0:
        raise RuntimeError(f"{node} could not list queues: {(result.stdout + result.stderr).strip()[-300:]}")
    homes = {}
    for line in result.stdout.splitlines():
        name, _, pid = line.rpartition("\t")
        if pid.startswith("<") and "@" in pid:
            homes[name] = node_of(pid[1:].rsplit(".", 3)[0])
    return homes


def queue_row(listed: dict[str, object], home: str = "") -> dict[str, object]:
    """One `list_queues` row as the course shows it: a classic queue's home node is its leader and only member."""
    members = [node_of(str(m)) for m in listed.get("members") or []]
    leader = node_of(str(listed["leader"])) if listed.get("leader") else ""
    if listed.get("type") == "classic" and not leader and home:
        leader, members = home, [home]
    return {"queue": listed["name"], "type": listed.get("type", ""), "leader": leader,
            "members": ",".join(sorted(members))}
