"""The native RabbitMQ nodes' config: deprecated features denied only when asked (3.10 refuses the keys), on the
single node and the cluster's alike; the epmd they register with follows ERL_EPMD_PORT."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import config
from tooling.stack import cluster_rabbitmq, native_rabbitmq


def written_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The rabbitmq.conf that prepare() writes into a throwaway state folder."""
    monkeypatch.setenv("COURSE_STATE_DIR", str(tmp_path))
    settings = config.load()
    native_rabbitmq.prepare(settings)
    return (native_rabbitmq.home(settings) / "rabbitmq.conf").read_text()


def test_deprecated_features_stay_permitted_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RABBITMQ_DENY_DEPRECATED", raising=False)
    text = written_config(tmp_path, monkeypatch)
    assert "deprecated_features" not in text, "3.10 refuses deprecated_features keys: they must be opt-in"
    assert "loopback_users.guest = true" in text


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_only_the_value_1_denies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RABBITMQ_DENY_DEPRECATED", value)
    assert "deprecated_features" not in written_config(tmp_path, monkeypatch)


def test_deny_switch_denies_every_deprecated_feature(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RABBITMQ_DENY_DEPRECATED", "1")
    lines = written_config(tmp_path, monkeypatch).splitlines()
    denied = sorted(line.split(".")[2].split(" ")[0] for line in lines if line.startswith("deprecated_features."))
    assert denied == sorted(["transient_nonexcl_queues", "global_qos", "classic_queue_mirroring",
                             "ram_node_type", "queue_master_locator", "management_metrics_collection"])
    assert all(line.endswith(" = false") for line in lines if line.startswith("deprecated_features."))


def test_the_cluster_nodes_deny_what_the_single_node_denies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RABBITMQ_DENY_DEPRECATED", "1")
    single = {line for line in written_config(tmp_path, monkeypatch).splitlines() if line.startswith("deprecated_")}
    settings = config.load()
    for node in cluster_rabbitmq.NODES:
        cluster_rabbitmq.prepare(settings, node)
        text = (cluster_rabbitmq.home(settings, node) / "rabbitmq.conf").read_text()
        assert {line for line in text.splitlines() if line.startswith("deprecated_")} == single != set(), text
    monkeypatch.delenv("RABBITMQ_DENY_DEPRECATED")
    cluster_rabbitmq.prepare(settings, "rabbitmq-1")
    assert "deprecated_features" not in (cluster_rabbitmq.home(settings, "rabbitmq-1") / "rabbitmq.conf").read_text()


def test_erl_epmd_port_reaches_every_rabbitmq_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERL_EPMD_PORT", "30369")
    settings = config.load()
    assert native_rabbitmq.epmd_port() == 30369
    assert native_rabbitmq.environment(settings)["ERL_EPMD_PORT"] == "30369"
    assert {cluster_rabbitmq.environment(settings, node)["ERL_EPMD_PORT"] for node in cluster_rabbitmq.NODES} == {"30369"}
    monkeypatch.delenv("ERL_EPMD_PORT")
    assert native_rabbitmq.environment(settings)["ERL_EPMD_PORT"] == "4369"
    monkeypatch.setenv("ERL_EPMD_PORT", "epmd")
    with pytest.raises(ValueError, match="ERL_EPMD_PORT='epmd' is not a port"):
        native_rabbitmq.epmd_port()


def test_the_management_metrics_collector_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # RabbitMQ 4.0 deprecates it (management_metrics_collection); the course reads only queues and bindings.
    monkeypatch.delenv("RABBITMQ_DENY_DEPRECATED", raising=False)
    assert "management_agent.disable_metrics_collector = true" in written_config(tmp_path, monkeypatch)
    compose = (config.PROJECT_ROOT / "docker-compose.yml").read_text()
    assert "./tooling/stack/rabbitmq/course.conf:/etc/rabbitmq/conf.d/20-course.conf:ro" in compose
