"""RabbitMQ from the local rabbitmq-server, as the current user, with all state in .stack/rabbitmq."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from helpers import clients, config
from tooling.stack import process

SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/opt/homebrew/sbin/rabbitmq-server",
                     "/usr/local/sbin/rabbitmq-server")
DEFAULT_EPMD_PORT = 4369
#: The plugins every course node runs (docker-compose.yml mounts the same file into the container).
ENABLED_PLUGINS = Path(__file__).with_name("rabbitmq") / "enabled_plugins"
#: Settings the native node and the compose image share (docker-compose.yml mounts the same file).
COURSE_CONF = Path(__file__).with_name("rabbitmq") / "course.conf"
# RabbitMQ 4.x's deprecated features; 4.3+ deny them by default. RABBITMQ_DENY_DEPRECATED=1 denies them on
# 4.0+ (the forky CI leg); off by default because 3.10 refuses these unknown configuration keys.
DEPRECATED_FEATURES = ("transient_nonexcl_queues", "global_qos", "classic_queue_mirroring", "ram_node_type",
                       "queue_master_locator", "management_metrics_collection")
INSTALL_HINT = ("RabbitMQ is needed for the native stack: sudo apt-get install -y rabbitmq-server "
                "(macOS: brew install rabbitmq), or install Docker and rerun `make up`.")


def epmd_port() -> int:
    """The port of the epmd the nodes register with: ERL_EPMD_PORT, as Erlang and epmd read it, else 4369."""
    raw = os.environ.get("ERL_EPMD_PORT", "")
    if not raw:
        return DEFAULT_EPMD_PORT
    if not raw.isdigit():
        raise ValueError(f"ERL_EPMD_PORT={raw!r} is not a port; unset it to use epmd's default ({DEFAULT_EPMD_PORT})")
    return int(raw)


def home(settings: config.Settings) -> Path:
    """The folder holding this node's config, data, logs and Erlang cookie."""
    return settings.state_dir / "rabbitmq"


def server_binary() -> str:
    """The rabbitmq-server script that runs as the calling user (not Debian's root wrapper)."""
    return process.executable(SERVER_CANDIDATES, "rabbitmq-server", INSTALL_HINT)


def node_name(settings: config.Settings) -> str:
    """The Erlang node name, unique per AMQP port so two course stacks never collide."""
    return f"course{settings.rabbitmq_port}@localhost"


def environment(settings: config.Settings) -> dict[str, str]:
    """Environment for rabbitmq-server: loopback only, every file under the project-local folder."""
    root = home(settings)
    loopback = "{127,0,0,1}"
    return {
        **os.environ,
        "HOME": str(root / "home"),
        "RABBITMQ_NODENAME": node_name(settings),
        "RABBITMQ_NODE_IP_ADDRESS": settings.rabbitmq_host,
        "RABBITMQ_NODE_PORT": str(settings.rabbitmq_port),
        "RABBITMQ_DIST_PORT": str(settings.rabbitmq_dist_port),
        "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
        "RABBITMQ_LOG_BASE": str(root / "logs"),
        "RABBITMQ_PID_FILE": str(root / "rabbitmq.pid"),
        "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(root / "advanced.config"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-kernel inet_dist_use_interface {loopback}",
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "ERL_EPMD_PORT": str(epmd_port()),
        "ERL_CRASH_DUMP": str(root / "logs" / "erl_crash.dump"),  # not the current folder (the repository)
    }


def conf(settings: config.Settings) -> str:
    """rabbitmq.conf: guest from loopback only; the management, MQTT and STOMP listeners on 127.0.0.1 too;
    then the settings every course node shares (COURSE_CONF)."""
    host = settings.rabbitmq_host
    return ("loopback_users.guest = true\n"
            "log.file.level = info\n"
            "log.console = false\n"
            f"management.tcp.ip = {host}\n"
            f"management.tcp.port = {settings.rabbitmq_management_port}\n"
            f"mqtt.listeners.tcp.1 = {host}:{settings.rabbitmq_mqtt_port}\n"
            "mqtt.exchange = amq.topic\n"
            f"stomp.listeners.tcp.1 = {host}:{settings.rabbitmq_stomp_port}\n"
            + COURSE_CONF.read_text() + deprecated_features_denied())


def deprecated_features_denied() -> str:
    """rabbitmq.conf lines denying every deprecated feature if RABBITMQ_DENY_DEPRECATED=1, else nothing."""
    if os.environ.get("RABBITMQ_DENY_DEPRECATED", "0") != "1":
        return ""
    return "".join(f"deprecated_features.permit.{feature} = false\n" for feature in DEPRECATED_FEATURES)


def prepare(settings: config.Settings) -> None:
    """Write the node's config files and its plugin list."""
    root = home(settings)
    for folder in ("home", "mnesia", "logs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "rabbitmq.conf").write_text(conf(settings))
    (root / "advanced.config").write_text("[].\n")
    shutil.copyfile(ENABLED_PLUGINS, root / "enabled_plugins")


def start(settings: config.Settings) -> int:
    """Start the node in the background; return the pid of the launcher (readiness is the caller's)."""
    binary = server_binary()
    prepare(settings)
    epmd_was_running = clients.port_open("127.0.0.1", epmd_port())
    (home(settings) / "epmd.started-by-us").unlink(missing_ok=True)
    pid = process.spawn([binary], log_file=home(settings) / "logs" / "stdout.log",
                        pid_file=home(settings) / "launcher.pid", env=environment(settings))
    if not epmd_was_running:
        (home(settings) / "epmd.started-by-us").write_text("epmd was not running before `up`\n")
    return pid


def log_file(settings: config.Settings) -> Path:
    """The node's main log."""
    return home(settings) / "logs" / f"{node_name(settings)}.log"


def startup_logs(settings: config.Settings) -> list[Path]:
    """Where a failed start says why: the node's log, then the launcher's output (e.g. dist_port_already_used)."""
    return [log_file(settings), home(settings) / "logs" / "stdout.log"]


def stop(settings: config.Settings) -> bool:
    """Stop the node this module started, and epmd if `up` started it; True if the node was running."""
    root = home(settings)
    stopped = process.terminate(root / "rabbitmq.pid", grace_s=30)
    process.terminate(root / "launcher.pid", grace_s=5)
    marker = root / "epmd.started-by-us"
    if marker.exists():
        marker.unlink()
        epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
        if os.access(epmd, os.X_OK):
            process.run_quietly([epmd, "-port", str(epmd_port()), "-kill"])
    return stopped


def running(settings: config.Settings) -> bool:
    """True while the node started by this module is alive (its launcher exits with it)."""
    return process.read_pid(home(settings) / "launcher.pid") is not None
