"""What can be checked of docker-compose.yml without a Docker engine."""

from __future__ import annotations

import re

import pytest
import yaml

from helpers import config
from tooling.stack import native_kafka, native_rabbitmq

COMPOSE = yaml.safe_load((config.PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def resolve(text: str) -> str:
    """Substitute ${VAR} from .env, as docker compose does."""
    pins = config.pinned_versions()
    return re.sub(r"\$\{(\w+)\}", lambda m: pins[m.group(1)], text)


def test_compose_parses_with_every_service() -> None:
    assert set(SERVICES) == {"kafka", "rabbitmq", "redis"}


def test_kafka_image_is_the_native_pin() -> None:
    assert resolve(SERVICES["kafka"]["image"]) == f"apache/kafka:{native_kafka.version()}"


def test_rabbitmq_image_is_a_pinned_management_tag() -> None:
    image = resolve(SERVICES["rabbitmq"]["image"])
    assert re.fullmatch(r"rabbitmq:\d+\.\d+(\.\d+)?-management", image), image


def test_redis_image_is_a_pinned_release() -> None:
    image = resolve(SERVICES["redis"]["image"])
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+(-alpine)?", image), image


def test_rabbitmq_mounts_the_native_plugin_list() -> None:
    mounts = SERVICES["rabbitmq"]["volumes"]
    assert "./tooling/stack/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro" in mounts
    plugins = native_rabbitmq.ENABLED_PLUGINS.read_text()
    assert all(name in plugins for name in ("rabbitmq_management", "rabbitmq_mqtt", "rabbitmq_stomp")), plugins


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_real_healthcheck(name: str) -> None:
    check = SERVICES[name]["healthcheck"]
    assert check["test"][0] == "CMD-SHELL"
    assert any(probe in check["test"][1] for probe in ("kafka-broker-api-versions", "rabbitmq-diagnostics",
                                                       "redis-cli ping"))


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_port_is_bound_to_loopback(name: str) -> None:
    for port in SERVICES[name]["ports"]:
        assert str(port).startswith("127.0.0.1:"), port


def test_kafka_advertises_an_address_clients_on_the_host_can_reach() -> None:
    env = SERVICES["kafka"]["environment"]
    assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{config.DEFAULT_KAFKA_BOOTSTRAP_SERVERS}"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == 0


def test_compose_ports_match_the_config_defaults() -> None:
    defaults = config.Settings(**{**config.load().__dict__,
                                  "kafka_bootstrap_servers": config.DEFAULT_KAFKA_BOOTSTRAP_SERVERS,
                                  "rabbitmq_url": config.DEFAULT_RABBITMQ_URL,
                                  "rabbitmq_management_port": config.DEFAULT_RABBITMQ_MANAGEMENT_PORT,
                                  "rabbitmq_mqtt_port": config.DEFAULT_RABBITMQ_MQTT_PORT,
                                  "rabbitmq_stomp_port": config.DEFAULT_RABBITMQ_STOMP_PORT,
                                  "redis_url": config.DEFAULT_REDIS_URL})
    assert f"127.0.0.1:{defaults.kafka_port}:9092" in SERVICES["kafka"]["ports"]
    assert f"127.0.0.1:{defaults.rabbitmq_port}:5672" in SERVICES["rabbitmq"]["ports"]
    for port in (defaults.rabbitmq_management_port, defaults.rabbitmq_mqtt_port, defaults.rabbitmq_stomp_port):
        assert f"127.0.0.1:{port}:{port}" in SERVICES["rabbitmq"]["ports"]
    assert f"127.0.0.1:{defaults.redis_port}:6379" in SERVICES["redis"]["ports"]


def test_data_lives_in_named_volumes() -> None:
    assert set(COMPOSE["volumes"]) == {"kafka-data", "rabbitmq-data", "redis-data"}
    for name in SERVICES:  # a named volume for data; read-only files from the repository for config
        assert all(v.split(":")[0] in COMPOSE["volumes"] or (v.startswith("./") and v.endswith(":ro"))
                   for v in SERVICES[name]["volumes"])
