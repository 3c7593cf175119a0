"""The client layer: connection settings, timeouts, fail-fast checks and their errors, for every broker client.

`kafka_io`, `rabbit_io` and the stack's probes stand on this module; it imports only `config`.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from helpers import config

if TYPE_CHECKING:
    from collections.abc import Callable

    import pika
    import psycopg

FIX_COMMAND = "make up"

#: Kafka clients give up on the first bootstrap after this long (kafka-python's default is 30 s).
KAFKA_BOOTSTRAP_TIMEOUT_MS = 5_000
#: How long a Kafka request (produce, fetch, admin call) may take before it fails.
KAFKA_REQUEST_TIMEOUT_MS = 10_000
#: How long a producer's send() may block waiting for metadata or buffer space.
KAFKA_MAX_BLOCK_MS = 10_000
#: Seconds a blocked connection (broker under a resource alarm) may stall a publish before failing.
RABBITMQ_BLOCKED_CONNECTION_TIMEOUT_S = 10.0
RABBITMQ_URL_FIX = f"export RABBITMQ_URL={config.DEFAULT_RABBITMQ_URL} (the local default)"
REDIS_URL_FIX = f"export REDIS_URL={config.DEFAULT_REDIS_URL} (the local default)"
#: PostgreSQL and Kafka Connect are the change-data-capture profile's: started on demand, not by `make up`.
CDC_FIX_COMMAND = "make up-cdc"
POSTGRES_URL_FIX = f"export POSTGRES_URL={config.DEFAULT_POSTGRES_URL} (the local default)"
CONNECT_URL_FIX = f"export CONNECT_URL={config.DEFAULT_CONNECT_URL} (the local default)"


class BrokerUnavailable(ConnectionError):
    """A broker the course needs is not answering; the message says which, where, and the fix."""

    def __init__(self, broker: str, address: str, reason: str, fix: str = FIX_COMMAND) -> None:
        self.broker, self.address, self.reason, self.fix = broker, address, reason, fix
        super().__init__(
            f"{broker} is not reachable at {address} ({reason}). "
            f"Start the brokers with `{fix}` (on Binder: `python -m tooling.stack up`), then `make status` to check."
        )


class BrokerRefused(BrokerUnavailable):
    """A broker answers but refuses the login or the virtual host named in the settings."""

    def __init__(self, broker: str, address: str, reason: str, fix: str) -> None:
        self.broker, self.address, self.reason, self.fix = broker, address, reason, fix
        ConnectionError.__init__(self, f"{broker} at {address} is running but {reason}. Fix: {fix}.")


def port_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when something accepts a TCP connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _refusal(host: str, port: int, timeout_s: float) -> str | None:
    """Why a TCP connection to host:port fails, or None when it succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except socket.gaierror as error:
        return f"unknown host {host!r}: {error.strerror}"
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except OSError as error:
        return error.strerror or type(error).__name__


def require_kafka(settings: config.Settings | None = None) -> config.Settings:
    """Fail fast with BrokerUnavailable unless Kafka accepts connections; return the settings."""
    settings = settings or config.load()
    try:
        host, port = settings.kafka_host, settings.kafka_port
    except ValueError as error:
        raise BrokerUnavailable("Kafka", settings.kafka_bootstrap_servers, str(error),
                                "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092") from None
    reason = _refusal(host, port, settings.connect_timeout_s)
    if reason:
        raise BrokerUnavailable("Kafka", f"{host}:{port}", reason)
    return settings


def require_rabbitmq(settings: config.Settings | None = None) -> config.Settings:
    """Fail fast with BrokerUnavailable unless RabbitMQ accepts the URL's login; return the settings."""
    settings = settings or config.load()
    connect_rabbitmq(settings).close()
    return settings


def _check_scheme(url: str, schemes: tuple[str, ...], variable: str) -> None:
    """ValueError unless `url` uses one of `schemes`; the message names the variable it came from."""
    scheme = urlsplit(url).scheme
    if scheme not in schemes:
        raise ValueError(f"{variable} must start with {schemes[0]}://, got {scheme + '://' if scheme else 'no scheme'}")


def _url_reachable(service: str, url: str, schemes: tuple[str, ...], variable: str, url_fix: str,
                   address: Callable[[], tuple[str, int]], timeout_s: float,
                   unavailable: type[BrokerUnavailable] = BrokerUnavailable) -> tuple[str, int]:
    """`address()` once `url` is valid and its host accepts TCP connections; else BrokerUnavailable naming the fix."""
    try:
        _check_scheme(url, schemes, variable)
        host, port = address()
    except ValueError as error:
        raise BrokerUnavailable(service, redact(url), f"bad {variable}: {error}", url_fix) from None
    reason = _refusal(host, port, timeout_s)
    if reason:
        raise unavailable(service, f"{host}:{port}", reason)
    return host, port


def _rabbitmq_reachable(settings: config.Settings) -> None:
    """Fail fast with BrokerUnavailable unless the URL is valid and its host accepts TCP connections."""
    _url_reachable("RabbitMQ", settings.rabbitmq_url, ("amqp", "amqps"), "RABBITMQ_URL", RABBITMQ_URL_FIX,
                   lambda: (settings.rabbitmq_host, settings.rabbitmq_port), settings.connect_timeout_s)


def kafka_connection(settings: config.Settings | None = None) -> dict[str, object]:
    """Bootstrap servers and timeouts for any kafka-python client, after checking that Kafka answers."""
    settings = require_kafka(settings)
    return {"bootstrap_servers": settings.kafka_bootstrap_servers, "bootstrap_timeout_ms": KAFKA_BOOTSTRAP_TIMEOUT_MS,
            "request_timeout_ms": KAFKA_REQUEST_TIMEOUT_MS}


def require_redis(settings: config.Settings | None = None) -> config.Settings:
    """Fail fast with BrokerUnavailable unless Redis answers PING at REDIS_URL; return the settings."""
    settings = settings or config.load()
    _url_reachable("Redis", settings.redis_url, ("redis", "rediss"), "REDIS_URL", REDIS_URL_FIX,
                   lambda: (settings.redis_host, settings.redis_port), settings.connect_timeout_s)
    _redis_ping(settings)
    return settings


def _redis_ping(settings: config.Settings) -> None:
    """Send one PING, so a refused password or a non-Redis server fails here, clearly."""
    import redis

    address = f"{settings.redis_host}:{settings.redis_port}"
    timeout = settings.connect_timeout_s
    try:
        with redis.Redis.from_url(settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout) as client:
            client.ping()
    except redis.AuthenticationError as error:
        raise BrokerRefused("Redis", address, f"Redis refused the credentials in REDIS_URL ({error})",
                            f"put the right password in REDIS_URL, e.g. {REDIS_URL_FIX}") from None
    except redis.RedisError as error:
        raise BrokerUnavailable("Redis", address, f"no Redis reply to PING: {type(error).__name__} {error}") from None


def redact(url: str) -> str:
    """The URL with any password replaced by ***, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def rabbitmq_refusal(error: Exception, settings: config.Settings) -> BrokerUnavailable:
    """The course's error for a failed AMQP connection: refused login, unknown vhost, or no handshake."""
    import pika.exceptions

    address = f"{settings.rabbitmq_host}:{settings.rabbitmq_port}"
    user = urlsplit(settings.rabbitmq_url).username or "guest"
    if isinstance(error, pika.exceptions.ProbableAuthenticationError):
        return BrokerRefused("RabbitMQ", address, f"RabbitMQ refused the credentials in RABBITMQ_URL (user {user!r})",
                             f"put the right user and password in RABBITMQ_URL, e.g. {RABBITMQ_URL_FIX}")
    if isinstance(error, pika.exceptions.ProbableAccessDeniedError):
        vhost = urlsplit(settings.rabbitmq_url).path.lstrip("/") or "/"
        return BrokerRefused("RabbitMQ", address,
                             f"RabbitMQ refused access to the virtual host {vhost!r} in RABBITMQ_URL for user {user!r}",
                             f"use an existing virtual host (%2F is the default one), e.g. {RABBITMQ_URL_FIX}")
    return BrokerUnavailable("RabbitMQ", address, f"the AMQP handshake failed: {type(error).__name__} {error}".strip())


def rabbitmq_parameters(settings: config.Settings | None = None) -> pika.URLParameters:
    """Connection parameters from the course settings: the connect timeout, one attempt, no heartbeat."""
    import pika

    settings = settings or config.load()
    parameters = pika.URLParameters(settings.rabbitmq_url)
    parameters.socket_timeout = parameters.stack_timeout = settings.connect_timeout_s
    parameters.blocked_connection_timeout = RABBITMQ_BLOCKED_CONNECTION_TIMEOUT_S
    parameters.connection_attempts = 1
    # A notebook may sit idle while its reader thinks; a BlockingConnection only answers heartbeats
    # while it is being called, so the broker would drop it. 0 turns heartbeats off for these demos.
    parameters.heartbeat = 0
    return parameters


def connect_rabbitmq(settings: config.Settings | None = None) -> pika.BlockingConnection:
    """One AMQP connection, or BrokerUnavailable (BrokerRefused for a bad login or vhost) within seconds."""
    import pika
    import pika.exceptions

    settings = settings or config.load()
    _rabbitmq_reachable(settings)
    try:
        return pika.BlockingConnection(rabbitmq_parameters(settings))
    except pika.exceptions.AMQPConnectionError as error:
        raise rabbitmq_refusal(error, settings) from None


class CdcUnavailable(BrokerUnavailable):
    """PostgreSQL or Kafka Connect is not answering: they are the CDC profile's, started on demand."""

    def __init__(self, broker: str, address: str, reason: str, fix: str = CDC_FIX_COMMAND) -> None:
        self.broker, self.address, self.reason, self.fix = broker, address, reason, fix
        ConnectionError.__init__(
            self, f"{broker} is not reachable at {address} ({reason}). Start the change-data-capture profile with "
                  f"`{fix}` (without make: `python -m tooling.stack up --cdc`), then `make status-cdc` to check.")


def connect_postgres(settings: config.Settings | None = None, **options: object) -> psycopg.Connection:
    """One PostgreSQL connection (psycopg 3), or BrokerUnavailable (BrokerRefused for a bad login) within seconds."""
    import psycopg

    settings = settings or config.load()
    host, port = _url_reachable("PostgreSQL", settings.postgres_url, ("postgresql", "postgres"), "POSTGRES_URL",
                                POSTGRES_URL_FIX, lambda: (settings.postgres_host, settings.postgres_port),
                                settings.connect_timeout_s, CdcUnavailable)
    try:
        return psycopg.connect(settings.postgres_url, connect_timeout=max(1, round(settings.connect_timeout_s)),
                               **options)
    except psycopg.OperationalError as error:
        text = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        if "password authentication failed" in text or "does not exist" in text:
            raise BrokerRefused("PostgreSQL", f"{host}:{port}", f"PostgreSQL refused POSTGRES_URL ({text})",
                                f"put the right user, password and database in POSTGRES_URL, e.g. "
                                f"{POSTGRES_URL_FIX}") from None
        raise CdcUnavailable("PostgreSQL", f"{host}:{port}", f"no PostgreSQL session: {text}") from None


def require_postgres(settings: config.Settings | None = None) -> config.Settings:
    """Fail fast with BrokerUnavailable unless PostgreSQL accepts POSTGRES_URL's login; return the settings."""
    settings = settings or config.load()
    connect_postgres(settings).close()
    return settings


def require_connect(settings: config.Settings | None = None) -> config.Settings:
    """Fail fast with BrokerUnavailable unless Kafka Connect's REST API answers at CONNECT_URL; return the settings."""
    settings = settings or config.load()
    _url_reachable("Kafka Connect", settings.connect_url, ("http", "https"), "CONNECT_URL", CONNECT_URL_FIX,
                   lambda: (settings.connect_host, settings.connect_port), settings.connect_timeout_s, CdcUnavailable)
    return settings
