"""Every address and setting the course uses, read from environment variables.

Defaults match docker-compose.yml and the native stack, so nothing else in the repository
hard-codes a host or a port.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VERSIONS_FILE = PROJECT_ROOT / ".env"

DEFAULT_KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
DEFAULT_KAFKA_CONTROLLER_PORT = 9093
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
DEFAULT_RABBITMQ_DIST_PORT = 25672
DEFAULT_RABBITMQ_MANAGEMENT_PORT = 15672
DEFAULT_RABBITMQ_MQTT_PORT = 1883
DEFAULT_RABBITMQ_STOMP_PORT = 61613
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Settings:
    """A snapshot of the course settings taken from the environment."""

    kafka_bootstrap_servers: str
    kafka_controller_port: int
    rabbitmq_url: str
    rabbitmq_dist_port: int
    rabbitmq_management_port: int
    rabbitmq_mqtt_port: int
    rabbitmq_stomp_port: int
    redis_url: str
    connect_timeout_s: float
    state_dir: Path
    cache_dir: Path
    data_dir: Path
    stack_mode: str

    @property
    def kafka_host(self) -> str:
        """Host of the first Kafka bootstrap server."""
        return split_host_port(self.kafka_bootstrap_servers.split(",")[0])[0]

    @property
    def kafka_port(self) -> int:
        """Port of the first Kafka bootstrap server."""
        return split_host_port(self.kafka_bootstrap_servers.split(",")[0])[1]

    @property
    def rabbitmq_host(self) -> str:
        """Host named in the RabbitMQ URL."""
        return urlsplit(self.rabbitmq_url).hostname or "127.0.0.1"

    @property
    def rabbitmq_port(self) -> int:
        """AMQP port named in the RabbitMQ URL."""
        return urlsplit(self.rabbitmq_url).port or 5672

    @property
    def redis_host(self) -> str:
        """Host named in the Redis URL."""
        return urlsplit(self.redis_url).hostname or "127.0.0.1"

    @property
    def redis_port(self) -> int:
        """Port named in the Redis URL."""
        return urlsplit(self.redis_url).port or 6379


def split_host_port(address: str) -> tuple[str, int]:
    """Split 'host:port' into its parts, with a clear error for anything else."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"expected an address like 127.0.0.1:9092, got {address!r}")
    return host, int(port)


def _number(name: str, default: float, kind: type[int] | type[float]) -> int | float:
    """A numeric environment variable, with an error that names it when it is not a number."""
    raw = os.environ.get(name)
    if raw is None:
        return kind(default)
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number; "
                         f"unset it to use the default ({default})") from None


def load() -> Settings:
    """Read the settings from the environment (defaults match docker-compose.yml)."""
    env = os.environ.get
    return Settings(
        kafka_bootstrap_servers=env("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA_BOOTSTRAP_SERVERS),
        kafka_controller_port=int(_number("KAFKA_CONTROLLER_PORT", DEFAULT_KAFKA_CONTROLLER_PORT, int)),
        rabbitmq_url=env("RABBITMQ_URL", DEFAULT_RABBITMQ_URL),
        rabbitmq_dist_port=int(_number("RABBITMQ_DIST_PORT", DEFAULT_RABBITMQ_DIST_PORT, int)),
        rabbitmq_management_port=int(_number("RABBITMQ_MANAGEMENT_PORT", DEFAULT_RABBITMQ_MANAGEMENT_PORT, int)),
        rabbitmq_mqtt_port=int(_number("RABBITMQ_MQTT_PORT", DEFAULT_RABBITMQ_MQTT_PORT, int)),
        rabbitmq_stomp_port=int(_number("RABBITMQ_STOMP_PORT", DEFAULT_RABBITMQ_STOMP_PORT, int)),
        redis_url=env("REDIS_URL", DEFAULT_REDIS_URL),
        connect_timeout_s=float(_number("BROKER_CONNECT_TIMEOUT_S", DEFAULT_CONNECT_TIMEOUT_S, float)),
        state_dir=Path(env("COURSE_STATE_DIR", PROJECT_ROOT / ".stack")),
        cache_dir=Path(env("COURSE_CACHE_DIR", PROJECT_ROOT / ".stack" / "cache")),
        data_dir=Path(env("COURSE_DATA_DIR", PROJECT_ROOT / ".data")),
        stack_mode=env("COURSE_STACK", "auto"),
    )


def pinned_versions() -> dict[str, str]:
    """The broker versions pinned in .env (the file docker compose also reads)."""
    pins: dict[str, str] = {}
    for line in VERSIONS_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            pins[key.strip()] = value.strip()
    return pins


def data_path(name: str) -> Path:
    """A file under the course's data folder (created if needed), e.g. a notebook's SQLite file."""
    folder = load().data_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def management_url(settings: Settings | None = None) -> str:
    """Where a browser opens RabbitMQ's management UI: the local port, or Binder's proxy path to it."""
    settings = settings or load()
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return f"{prefix.rstrip('/')}/proxy/{settings.rabbitmq_management_port}/"
    return f"http://{settings.rabbitmq_host}:{settings.rabbitmq_management_port}/"


def fresh_data_path(name: str, folder: Path | None = None) -> Path:
    """A path for a new SQLite file under the data folder (or `folder`): any old copy and its -wal/-shm removed."""
    path = folder / name if folder is not None else data_path(name)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path
