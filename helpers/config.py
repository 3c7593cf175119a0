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
# The change-data-capture profile (`make up-cdc`, notebook 17): PostgreSQL and Kafka Connect with Debezium.
DEFAULT_POSTGRES_URL = "postgresql://course:course@127.0.0.1:5432/course"
DEFAULT_CONNECT_URL = "http://127.0.0.1:8083"
DEFAULT_CONNECT_TIMEOUT_S = 5.0
# The three-node cluster profile (notebooks 11-12): its own ports, so it runs beside the single-node stack.
DEFAULT_CLUSTER_KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:9192,127.0.0.1:9292,127.0.0.1:9392"
DEFAULT_CLUSTER_KAFKA_CONTROLLER_PORTS = "9193,9293,9393"
DEFAULT_CLUSTER_RABBITMQ_PORTS = "5682,5683,5684"
DEFAULT_CLUSTER_RABBITMQ_DIST_PORTS = "25682,25683,25684"


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
    postgres_url: str
    connect_url: str
    connect_timeout_s: float
    state_dir: Path
    cache_dir: Path
    data_dir: Path
    stack_mode: str
    cluster_kafka_bootstrap_servers: str
    cluster_kafka_controller_ports: tuple[int, ...]
    cluster_rabbitmq_ports: tuple[int, ...]
    cluster_rabbitmq_dist_ports: tuple[int, ...]

    @property
    def cluster_kafka_addresses(self) -> tuple[str, ...]:
        """The three cluster brokers' client addresses, node 1 first."""
        return tuple(a.strip() for a in self.cluster_kafka_bootstrap_servers.split(","))

    @property
    def cluster_rabbitmq_urls(self) -> tuple[str, ...]:
        """An AMQP URL for each cluster node (the single-node URL's login and vhost, the node's port)."""
        parts = urlsplit(self.rabbitmq_url)
        login = f"{parts.username or 'guest'}:{parts.password or 'guest'}@"
        return tuple(f"{parts.scheme or 'amqp'}://{login}{self.rabbitmq_host}:{port}{parts.path or '/%2F'}"
                     for port in self.cluster_rabbitmq_ports)

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

    @property
    def postgres_host(self) -> str:
        """Host named in the PostgreSQL URL."""
        return urlsplit(self.postgres_url).hostname or "127.0.0.1"

    @property
    def postgres_port(self) -> int:
        """Port named in the PostgreSQL URL."""
        return urlsplit(self.postgres_url).port or 5432

    @property
    def postgres_user(self) -> str:
        """The role named in the PostgreSQL URL (the native stack creates it, with REPLICATION)."""
        return urlsplit(self.postgres_url).username or "course"

    @property
    def postgres_password(self) -> str:
        """The password named in the PostgreSQL URL."""
        return urlsplit(self.postgres_url).password or ""

    @property
    def postgres_database(self) -> str:
        """The database named in the PostgreSQL URL."""
        return urlsplit(self.postgres_url).path.lstrip("/") or self.postgres_user

    @property
    def connect_host(self) -> str:
        """Host of Kafka Connect's REST API."""
        return urlsplit(self.connect_url).hostname or "127.0.0.1"

    @property
    def connect_port(self) -> int:
        """Port of Kafka Connect's REST API."""
        return urlsplit(self.connect_url).port or 8083


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


def _ports(name: str, default: str) -> tuple[int, ...]:
    """Three comma-separated ports from an environment variable, with an error that names it."""
    raw = os.environ.get(name, default)
    ports = tuple(p.strip() for p in raw.split(","))
    if len(ports) != 3 or not all(p.isdigit() for p in ports):
        raise ValueError(f"{name}={raw!r} must be three ports separated by commas; unset it to use the default ({default})")
    return tuple(int(p) for p in ports)


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
        postgres_url=env("POSTGRES_URL", DEFAULT_POSTGRES_URL),
        connect_url=env("CONNECT_URL", DEFAULT_CONNECT_URL).rstrip("/"),
        connect_timeout_s=float(_number("BROKER_CONNECT_TIMEOUT_S", DEFAULT_CONNECT_TIMEOUT_S, float)),
        state_dir=Path(env("COURSE_STATE_DIR", PROJECT_ROOT / ".stack")),
        cache_dir=Path(env("COURSE_CACHE_DIR", PROJECT_ROOT / ".stack" / "cache")),
        data_dir=Path(env("COURSE_DATA_DIR", PROJECT_ROOT / ".data")),
        stack_mode=env("COURSE_STACK", "auto"),
        cluster_kafka_bootstrap_servers=env("CLUSTER_KAFKA_BOOTSTRAP_SERVERS", DEFAULT_CLUSTER_KAFKA_BOOTSTRAP_SERVERS),
        cluster_kafka_controller_ports=_ports("CLUSTER_KAFKA_CONTROLLER_PORTS", DEFAULT_CLUSTER_KAFKA_CONTROLLER_PORTS),
        cluster_rabbitmq_ports=_ports("CLUSTER_RABBITMQ_PORTS", DEFAULT_CLUSTER_RABBITMQ_PORTS),
        cluster_rabbitmq_dist_ports=_ports("CLUSTER_RABBITMQ_DIST_PORTS", DEFAULT_CLUSTER_RABBITMQ_DIST_PORTS),
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


def data_folder() -> Path:
    """The course's data folder (COURSE_DATA_DIR, default .data/), created if needed."""
    folder = load().data_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def data_path(name: str) -> Path:
    """A file under the course's data folder (created if needed), e.g. a notebook's SQLite file."""
    return data_folder() / name


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
