"""What can be checked of docker-compose.yml without a Docker engine."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace

import pytest
import yaml

from helpers import config
from tooling.stack import compose, native_kafka, native_rabbitmq

COMPOSE = yaml.safe_load((config.PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
#: The default `docker compose up` starts only the services without a profile.
DEFAULT_SERVICES = {name: s for name, s in SERVICES.items() if not s.get("profiles")}
CLUSTER_SERVICES = {name: s for name, s in SERVICES.items() if "cluster" in s.get("profiles", [])}
CDC_SERVICES = {name: s for name, s in SERVICES.items() if "cdc" in s.get("profiles", [])}
KAFKA_NODES = ["kafka-1", "kafka-2", "kafka-3"]
RABBITMQ_NODES = ["rabbitmq-1", "rabbitmq-2", "rabbitmq-3"]


def resolve(text: object, env: dict[str, str] | None = None) -> str:
    """Substitute ${VAR} and ${VAR:-default} from .env and `env`, as docker compose does."""
    values = {**config.pinned_versions(), **(env or {})}
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}",
                  lambda m: values[m.group(1)] if m.group(2) is None else values.get(m.group(1), m.group(2)), str(text))


def test_compose_parses_with_every_service() -> None:
    assert set(DEFAULT_SERVICES) == {"kafka", "rabbitmq", "redis"}, "a plain `docker compose up` starts the single node only"


def test_kafka_image_is_the_native_pin() -> None:
    assert resolve(SERVICES["kafka"]["image"]) == f"apache/kafka:{native_kafka.version()}"


def test_rabbitmq_image_is_a_pinned_management_tag() -> None:
    image = resolve(SERVICES["rabbitmq"]["image"])
    assert re.fullmatch(r"rabbitmq:\d+\.\d+(\.\d+)?-management", image), image


def test_redis_image_is_a_pinned_release() -> None:
    image = resolve(SERVICES["redis"]["image"])
    assert re.fullmatch(r"redis:\d+\.\d+(\.\d+)?(-alpine)?", image), image


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
                                                       "redis-cli ping", "pg_isready"))


#: Services whose full check is itself cheap (a small C client, not a JVM or Erlang's CLI).
CHEAP_CHECKS = {"redis", "postgres"}


@pytest.mark.parametrize("name", sorted(n for n in SERVICES if n not in CHEAP_CHECKS))
def test_jvm_and_erlang_healthchecks_are_cheap_once_healthy(name: str) -> None:
    service = SERVICES[name]
    probe = service["healthcheck"]["test"][1]
    cheap, _, full = probe.partition(" || ")
    # The mark is named after process 1's start time, so a restarted container checks fully again.
    assert cheap.startswith("m=/tmp/healthy-$$(cut -d' ' -f22 /proc/1/stat); [ -e $$m ] && bash -c '</dev/tcp/"), \
        "only a port, once marked ($$: compose's escape for a literal $)"
    assert full.rstrip("; }").endswith("touch $$m"), "the mark is set only after the full check passes"
    assert service["healthcheck"]["start_interval"] == "1s" and "start_period" in service["healthcheck"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_port_is_bound_to_loopback(name: str) -> None:
    for port in SERVICES[name]["ports"]:
        assert str(port).startswith("127.0.0.1:"), port


def test_kafka_advertises_an_address_clients_on_the_host_can_reach() -> None:
    env = SERVICES["kafka"]["environment"]
    assert resolve(env["KAFKA_ADVERTISED_LISTENERS"]) == f"PLAINTEXT://{config.DEFAULT_KAFKA_BOOTSTRAP_SERVERS}"
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
    return {name.removeprefix("KAFKA_").lower().replace("_", "."): resolve(value)
            for name, value in env.items() if name.startswith("KAFKA_") and name != "KAFKA_HEAP_OPTS"}


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
    assert published("kafka") == [f"127.0.0.1:{defaults.kafka_port}:9092"]
    assert f"127.0.0.1:{defaults.rabbitmq_port}:5672" in published("rabbitmq")
    for port in (defaults.rabbitmq_management_port, defaults.rabbitmq_mqtt_port, defaults.rabbitmq_stomp_port):
        assert f"127.0.0.1:{port}:{port}" in published("rabbitmq")
    assert published("redis") == [f"127.0.0.1:{defaults.redis_port}:6379"]


def published(service: str, env: dict[str, str] | None = None) -> list[str]:
    """A service's port bindings with the variables resolved (defaults when `env` sets none)."""
    return [resolve(port, env) for port in SERVICES[service]["ports"]]


RELOCATED = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:29092", "RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:29672/%2F",
             "RABBITMQ_MANAGEMENT_PORT": "29674", "RABBITMQ_MQTT_PORT": "29675", "RABBITMQ_STOMP_PORT": "29676",
             "REDIS_URL": "redis://127.0.0.1:29679/0",
             "CLUSTER_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:29192,127.0.0.1:29292,127.0.0.1:29392",
             "CLUSTER_RABBITMQ_PORTS": "29682,29683,29684"}


def test_the_address_variables_move_the_containers_too(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in RELOCATED.items():
        monkeypatch.setenv(name, value)
    env = compose.environment(config.load())
    assert published("kafka", env) == ["127.0.0.1:29092:9092"]
    assert resolve(SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"], env) == "PLAINTEXT://127.0.0.1:29092"
    assert published("rabbitmq", env) == ["127.0.0.1:29672:5672", "127.0.0.1:29674:15672", "127.0.0.1:29675:1883",
                                          "127.0.0.1:29676:61613"]
    assert published("redis", env) == ["127.0.0.1:29679:6379"]
    for i, name in enumerate(KAFKA_NODES, start=1):
        assert published(name, env) == [f"127.0.0.1:29{i}92:9092"]
        assert f"HOST://127.0.0.1:29{i}92" in resolve(SERVICES[name]["environment"]["KAFKA_ADVERTISED_LISTENERS"], env)
    for name, port in zip(RABBITMQ_NODES, (29682, 29683, 29684), strict=True):
        assert published(name, env) == [f"127.0.0.1:{port}:5672"]


def test_data_lives_in_named_volumes() -> None:
    assert {"kafka-data", "rabbitmq-data", "redis-data"} <= set(COMPOSE["volumes"])
    for name in SERVICES:  # a named volume for data; read-only files from the repository for config
        assert all(v.split(":")[0] in COMPOSE["volumes"] or (v.startswith("./") and v.endswith(":ro"))
                   for v in SERVICES[name]["volumes"])


# --- the cluster profile (notebooks 11-12) -------------------------------------------------------------


def test_cluster_profile_has_three_nodes_of_each_broker() -> None:
    assert sorted(CLUSTER_SERVICES) == KAFKA_NODES + RABBITMQ_NODES
    assert set(SERVICES) == set(DEFAULT_SERVICES) | set(CLUSTER_SERVICES) | set(CDC_SERVICES), \
        "every other service is in a profile"


def test_cluster_images_are_the_single_node_pins() -> None:
    for name in KAFKA_NODES:
        assert CLUSTER_SERVICES[name]["image"] == SERVICES["kafka"]["image"]
        assert resolve(CLUSTER_SERVICES[name]["image"]) == f"apache/kafka:{native_kafka.version()}"
    for name in RABBITMQ_NODES:
        assert CLUSTER_SERVICES[name]["image"] == SERVICES["rabbitmq"]["image"]


@pytest.mark.parametrize("name", KAFKA_NODES + RABBITMQ_NODES)
def test_cluster_nodes_have_a_healthcheck_and_loopback_ports_only(name: str) -> None:
    service = CLUSTER_SERVICES[name]
    check = service["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL" and ("kafka-broker-api-versions" in check[1] or "rabbitmq-diagnostics" in check[1])
    assert service["ports"] and all(str(port).startswith("127.0.0.1:") for port in service["ports"])


def test_cluster_ports_match_the_config_defaults() -> None:
    kafka = [config.split_host_port(a)[1] for a in config.DEFAULT_CLUSTER_KAFKA_BOOTSTRAP_SERVERS.split(",")]
    rabbit = [int(p) for p in config.DEFAULT_CLUSTER_RABBITMQ_PORTS.split(",")]
    for name, port in zip(KAFKA_NODES, kafka, strict=True):
        env = CLUSTER_SERVICES[name]["environment"]
        assert published(name) == [f"127.0.0.1:{port}:9092"]
        assert f"HOST://127.0.0.1:{port}" in resolve(env["KAFKA_ADVERTISED_LISTENERS"]), "clients on the host reach it"
    for name, port in zip(RABBITMQ_NODES, rabbit, strict=True):
        assert published(name) == [f"127.0.0.1:{port}:5672"]


def test_kafka_cluster_is_one_cluster_with_three_voters() -> None:
    envs = [CLUSTER_SERVICES[name]["environment"] for name in KAFKA_NODES]
    assert [env["KAFKA_NODE_ID"] for env in envs] == [1, 2, 3]
    assert len({env["CLUSTER_ID"] for env in envs}) == 1, "one cluster id for all three nodes"
    assert not envs[0]["CLUSTER_ID"].startswith("-"), "the storage tool would read it as an option"
    for env in envs:
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3 and env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3


def test_rabbitmq_cluster_shares_a_cookie_and_finds_its_peers() -> None:
    cookies = {CLUSTER_SERVICES[name]["environment"]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] for name in RABBITMQ_NODES}
    assert len(cookies) == 1 and "-setcookie" in cookies.pop()
    formation = COMPOSE["configs"]["rabbitmq-cluster"]["content"]
    assert "cluster_partition_handling = pause_minority" in formation, "as the native cluster"
    for name in RABBITMQ_NODES:
        assert f"= rabbit@{name}" in formation
        assert CLUSTER_SERVICES[name]["hostname"] == name


def test_the_single_node_names_its_cluster_id() -> None:
    cluster_id = SERVICES["kafka"]["environment"]["CLUSTER_ID"]
    assert len(cluster_id) == 22 and not cluster_id.startswith("-"), "base64 of 16 bytes, not an option"
    assert cluster_id != CLUSTER_SERVICES["kafka-1"]["environment"]["CLUSTER_ID"]


@pytest.mark.parametrize(("found", "refused"), [("", True), ("2.23.0", True), ("v2.22.9-desktop.1", True),
                                                ("2.23.1", False), ("v5.6.0", False), ("2.40.3-desktop.1", False),
                                                ("dev", False)])
def test_compose_version_check_names_the_minimum(found: str, refused: bool) -> None:
    problem = compose.check_version(found)
    assert (problem is not None) == refused, problem
    assert problem is None or "2.23.1" in problem


def test_mounted_config_files_keep_unix_line_endings() -> None:
    mounted = [v.split(":")[0].removeprefix("./") for s in SERVICES.values() for v in s.get("volumes", [])
               if v.startswith("./")]
    assert mounted
    result = subprocess.run(["git", "check-attr", "eol", "--", *mounted, "docker-compose.yml", ".env"],
                            capture_output=True, text=True, check=True, cwd=config.PROJECT_ROOT)
    assert all(line.endswith(": eol: lf") for line in result.stdout.splitlines()), result.stdout


def test_kafka_tools_run_in_a_running_node_with_in_network_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    from tooling.stack import cluster_kafka

    monkeypatch.setattr(compose, "cluster_mode", lambda settings: "compose")
    monkeypatch.setattr(compose, "running", lambda profile=None: {"kafka-2", "kafka-3", "rabbitmq-1"})
    settings = config.load()
    hosts = settings.cluster_kafka_addresses
    node, command = cluster_kafka.in_container(settings, "kafka-metadata-quorum",
                                               ("--bootstrap-server", ",".join(hosts[1:]), "describe", "--status"),
                                               timeout_s=30, short_timeouts=True)
    assert node == "kafka-2", "kafka-1 is down: the tool runs where a broker lives"
    assert command[5:] == ["/opt/kafka/bin/kafka-metadata-quorum.sh", "--bootstrap-server",
                           "kafka-2:19092,kafka-3:19092", "describe", "--status"]
    script = command[2]
    assert script.index('--command-config "$f"') < script.index('"${@:3}"'), "options before the subcommand"
    assert command[3] == cluster_kafka.TOOL_CLIENT_CONFIG and command[4] == "30s"
