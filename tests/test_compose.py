"""What can be checked of docker-compose.yml without a Docker engine."""

from __future__ import annotations

import re
from dataclasses import replace

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


#: Settings whose value depends on where the broker runs: in the container it listens on every interface
#: (the port is published on 127.0.0.1 only), names itself localhost and keeps its data in the volume.
WHERE_IT_RUNS = {"listeners", "controller.quorum.voters", "log.dirs"}


def native_properties() -> dict[str, str]:
    """The native broker's server.properties at the default addresses, as a dict."""
    defaults = replace(config.load(), kafka_bootstrap_servers=config.DEFAULT_KAFKA_BOOTSTRAP_SERVERS,
                       kafka_controller_port=config.DEFAULT_KAFKA_CONTROLLER_PORT)
    lines = native_kafka.server_properties(defaults).splitlines()
    return dict(line.split("=", 1) for line in lines if line)


def compose_properties() -> dict[str, str]:
    """The compose broker's KAFKA_* variables as the image turns them into properties (KAFKA_LOG_DIRS -> log.dirs)."""
    env = SERVICES["kafka"]["environment"]
    return {name.removeprefix("KAFKA_").lower().replace("_", "."): str(value)
            for name, value in env.items() if name != "KAFKA_HEAP_OPTS"}


def test_compose_and_native_kafka_set_the_same_broker_properties() -> None:
    native, compose = native_properties(), compose_properties()
    assert sorted(native) == sorted(compose)
    same = {key for key in native if key not in WHERE_IT_RUNS}
    assert {key: compose[key] for key in same} == {key: native[key] for key in same}


def test_compose_and_native_kafka_differ_only_where_they_run() -> None:
    native, compose = native_properties(), compose_properties()
    assert re.sub(r"//[\w.]*:", "//:", native["listeners"]) == compose["listeners"]
    assert native["controller.quorum.voters"].replace("127.0.0.1", "localhost") == compose["controller.quorum.voters"]
    assert f"kafka-data:{compose['log.dirs']}" in SERVICES["kafka"]["volumes"]
    assert native["log.dirs"].endswith("/kafka/data")


def test_compose_and_native_kafka_use_the_same_heap() -> None:
    assert SERVICES["kafka"]["environment"]["KAFKA_HEAP_OPTS"] == " ".join(native_kafka.HEAP)


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
