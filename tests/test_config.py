"""helpers.config: defaults, overrides, and clear errors for malformed addresses."""

from __future__ import annotations

import pytest

from helpers import config


def test_defaults_are_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "RABBITMQ_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load()
    assert (settings.kafka_host, settings.kafka_port) == ("127.0.0.1", 9092)
    assert (settings.rabbitmq_host, settings.rabbitmq_port) == ("127.0.0.1", 5672)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092,127.0.0.1:19093")
    monkeypatch.setenv("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:15673/%2F")
    settings = config.load()
    assert (settings.kafka_host, settings.kafka_port) == ("127.0.0.1", 19092)
    assert settings.rabbitmq_port == 15673


@pytest.mark.parametrize("bad", ["localhost", "127.0.0.1:", ":9092", "127.0.0.1:ninety"])
def test_malformed_kafka_address_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match="expected an address like 127.0.0.1:9092"):
        config.split_host_port(bad)


def test_versions_are_pinned_once() -> None:
    pins = config.pinned_versions()
    assert pins["KAFKA_VERSION"].startswith("4.")


def test_data_path_is_inside_the_data_dir(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    assert config.data_path("01_events.sqlite") == tmp_path / "data" / "01_events.sqlite"
    assert (tmp_path / "data").is_dir()


@pytest.mark.parametrize("name", ["KAFKA_CONTROLLER_PORT", "RABBITMQ_DIST_PORT", "BROKER_CONNECT_TIMEOUT_S"])
def test_non_numeric_setting_names_the_variable(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "abc")
    with pytest.raises(ValueError, match=f"{name}='abc' is not a"):
        config.load()


def test_management_url_is_local_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("RABBITMQ_MANAGEMENT_PORT", "25674")
    assert config.management_url() == "http://127.0.0.1:25674/"


def test_management_url_goes_through_binders_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/someone-abc/")
    monkeypatch.delenv("RABBITMQ_MANAGEMENT_PORT", raising=False)
    assert config.management_url() == "/user/someone-abc/proxy/15672/"


def test_fresh_data_path_removes_an_old_database_and_its_companions(tmp_path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"bank.sqlite{suffix}").write_text("left over from the last run")
    (tmp_path / "other.sqlite").write_text("not ours")
    path = config.fresh_data_path("bank.sqlite", tmp_path)
    assert path == tmp_path / "bank.sqlite"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]


def test_fresh_data_path_defaults_to_the_data_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    path = config.fresh_data_path("nb.sqlite")
    assert path == tmp_path / "data" / "nb.sqlite" and path.parent.is_dir() and not path.exists()


def test_cluster_defaults_avoid_the_single_node_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLUSTER_KAFKA_BOOTSTRAP_SERVERS", "CLUSTER_KAFKA_CONTROLLER_PORTS", "CLUSTER_RABBITMQ_PORTS",
                 "CLUSTER_RABBITMQ_DIST_PORTS", "RABBITMQ_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = config.load()
    cluster = {config.split_host_port(a)[1] for a in settings.cluster_kafka_addresses}
    cluster |= {*settings.cluster_kafka_controller_ports, *settings.cluster_rabbitmq_ports,
                *settings.cluster_rabbitmq_dist_ports}
    assert len(cluster) == 12, "every cluster node has ports of its own"
    assert not cluster & {9092, 9093, 5672, 25672, 15672, 1883, 61613, 6379, 4369}
    assert settings.cluster_rabbitmq_urls[1] == "amqp://guest:guest@127.0.0.1:5683/%2F"


@pytest.mark.parametrize("bad", ["5682,5683", "5682,5683,x", ""])
def test_malformed_cluster_ports_name_the_variable(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("CLUSTER_RABBITMQ_PORTS", bad)
    with pytest.raises(ValueError, match="CLUSTER_RABBITMQ_PORTS"):
        config.load()
