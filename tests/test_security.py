"""Security defaults: the course's brokers listen on loopback only, and no credential lives in the repository
other than RabbitMQ's local guest:guest and the CDC profile's local PostgreSQL login course:course.

Compose port bindings (127.0.0.1 only) are checked in tests/test_compose.py; the spare-port native stack's
sockets in tests/test_stack.py. Here: the running default brokers, and every file git tracks.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from helpers import config
from tooling.stack import native_rabbitmq, native_redis, probe


def default_ports() -> dict[str, int]:
    """The ports of the configured services: Kafka, its controller, AMQP, Erlang distribution, epmd, the
    management UI, MQTT, STOMP and Redis."""
    settings = config.load()
    return {"kafka": settings.kafka_port, "kafka controller": settings.kafka_controller_port,
            "rabbitmq amqp": settings.rabbitmq_port, "rabbitmq distribution": settings.rabbitmq_dist_port,
            "epmd": native_rabbitmq.epmd_port(), "rabbitmq management": settings.rabbitmq_management_port,
            "rabbitmq mqtt": settings.rabbitmq_mqtt_port, "rabbitmq stomp": settings.rabbitmq_stomp_port,
            "redis": settings.redis_port}


@pytest.mark.live
@pytest.mark.parametrize("name", list(default_ports()))
def test_running_brokers_listen_on_loopback_only(name: str) -> None:
    settings = config.load()
    if {settings.kafka_host, settings.rabbitmq_host, settings.redis_host} != {"127.0.0.1"}:
        pytest.skip("the brokers are configured on another host: their sockets are not visible here")
    port = default_ports()[name]
    addresses = probe.listening_addresses(port)
    assert addresses, f"nothing listens on {name} port {port}: are the brokers up (`make up`)?"
    assert addresses <= probe.LOOPBACK_ADDRESSES, f"{name} port {port} listens beyond loopback: {addresses}"


def test_native_configs_put_every_listener_on_loopback(tmp_path: Path) -> None:
    settings = dataclasses.replace(config.load(), state_dir=tmp_path)
    rabbit = native_rabbitmq.conf(settings)
    for listener in ("mqtt.listeners.tcp.1", "stomp.listeners.tcp.1"):
        assert re.search(rf"^{re.escape(listener)} = 127\.0\.0\.1:\d+$", rabbit, re.M), rabbit
    assert "management.tcp.ip = 127.0.0.1" in rabbit, rabbit
    redis_conf = native_redis.conf(settings)
    assert re.search(r"^bind 127\.0\.0\.1$", redis_conf, re.M) and "protected-mode yes" in redis_conf, redis_conf


def test_listening_addresses_reads_proc_net_tcp() -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert probe.listening_addresses(server.getsockname()[1]) == {"0100007F"}


# --------------------------------------------------------------------------------------------- secrets

# Built from pieces so that this file does not match its own patterns.
KEY_HEADER = "-----BEGIN " + r"(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY" + "-----"
SECRET_PATTERNS = {
    "private key": re.compile(KEY_HEADER),
    "URL with credentials": re.compile(r"\b[a-z][a-z0-9+.-]*://([^\s:/@'\"`{}]+):([^\s@/'\"`{}]+)@", re.I),
    "password assignment": re.compile(
        r"\b(?:pass(?:word|wd)?|secret|api[_-]?key|access[_-]?key|auth[_-]?token|token)\b['\"]?\s*[:=]\s*"
        r"['\"]([^'\"\s{}$<>]{6,})['\"]", re.I),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
}
#: Local loopback logins: RabbitMQ's default guest, and the course's own PostgreSQL role (make up-cdc).
ALLOWED_CREDENTIALS = {("guest", "guest"), ("course", "course")}


def tracked_files() -> list[Path]:
    """Every file git tracks in the repository (what a clone would contain)."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=config.PROJECT_ROOT, capture_output=True,
                             check=True, timeout=30).stdout.decode()
    return [config.PROJECT_ROOT / name for name in listing.split("\0") if name]


def findings(text: str) -> list[str]:
    """What in a text looks like a credential, other than the local guest:guest."""
    found = []
    for label, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            if label == "URL with credentials" and ((match.group(1), match.group(2)) in ALLOWED_CREDENTIALS
                                                    or set(match.group(2)) == {"*"}):  # a redacted password
                continue
            found.append(f"{label}: {match.group(0)[:60]}")
    return found


def test_no_credentials_other_than_guest_in_tracked_files() -> None:
    files = tracked_files()
    assert len(files) > 10
    problems = []
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except (FileNotFoundError, IsADirectoryError):  # deleted in the working tree, or a submodule
            continue
        problems += [f"{path.relative_to(config.PROJECT_ROOT)}: {found}" for found in findings(text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("text", [
    "RABBITMQ_URL=amqp://admin:" + "s3cr3t@10.0.0.5:5672/",
    "password = '" + "hunter2hunter2'",
    '"api_key": "' + 'abcdef123456"',
    "-----BEGIN " + "OPENSSH PRIVATE KEY-----",
    "AKIA" + "ABCDEFGHIJKLMNOP",
    "token: '" + "ghp_" + "a" * 36 + "'",
])
def test_the_scan_catches_credentials(text: str) -> None:
    assert findings(text)


@pytest.mark.parametrize("text", [
    "amqp://guest:guest@127.0.0.1:5672/%2F",
    "password = os.environ['RABBITMQ_PASSWORD']",
    "f\"amqp://{user}:{password}@{host}\"",
    "loopback_users.guest = true",
    "amqp://guest:***@127.0.0.1:5672/%2F",
])
def test_the_scan_allows_the_local_defaults_and_code(text: str) -> None:
    assert not findings(text)
