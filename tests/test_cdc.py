"""The change-data-capture profile without a server: settings, command lines, configs and fail-fast checks.

The live round trips and Debezium's outbox router end to end are in tests/cdc (`make test-cdc`).
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import clients, config
from tests.test_compose import SERVICES, published, resolve
from tooling.stack import __main__ as stack_main
from tooling.stack import compose, native_connect, native_postgres, probe

CLOSED_PORT = 9  # discard: nothing listens there on a course machine


def settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> config.Settings:
    """The course settings with some variables set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config.load()


def test_postgres_url_gives_every_part(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, POSTGRES_URL="postgresql://alice:" + "secret@127.0.0.2:15432/shop")
    assert (settings.postgres_host, settings.postgres_port) == ("127.0.0.2", 15432)
    assert (settings.postgres_user, settings.postgres_password, settings.postgres_database) == ("alice", "secret", "shop")


def test_connect_url_gives_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, CONNECT_URL="http://127.0.0.1:18083/")
    assert (settings.connect_url, settings.connect_host, settings.connect_port) == ("http://127.0.0.1:18083",
                                                                                      "127.0.0.1", 18083)


def test_defaults_match_the_compose_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTGRES_URL", raising=False)
    defaults = config.load()
    env = SERVICES["postgres"]["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]) == (
        defaults.postgres_user, defaults.postgres_password, defaults.postgres_database)
    assert published("postgres") == [f"127.0.0.1:{defaults.postgres_port}:5432"]


def test_the_postgres_url_moves_the_container_too(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, POSTGRES_URL="postgresql://course:course@127.0.0.1:29432/course")
    assert published("postgres", compose.environment(settings)) == ["127.0.0.1:29432:5432"]


def test_compose_and_native_postgres_share_their_settings() -> None:
    command = SERVICES["postgres"]["command"]
    assert command[0] == "postgres"
    assert tuple(command[2::2]) == native_postgres.SHARED_SETTINGS and set(command[1::2]) == {"-c"}
    assert "wal_level=logical" in native_postgres.SHARED_SETTINGS
    assert resolve(SERVICES["postgres"]["image"]) == f"postgres:{config.pinned_versions()['POSTGRES_IMAGE_TAG']}"
    assert SERVICES["postgres"]["profiles"] == ["cdc"], "a plain `docker compose up` does not start it"


def test_native_server_listens_on_loopback_at_the_urls_port_with_its_socket_in_its_folder(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = settings_with(monkeypatch, POSTGRES_URL="postgresql://course:course@127.0.0.1:15432/course",
                             COURSE_STATE_DIR=str(tmp_path))
    options = native_postgres.server_settings(settings)
    values = options[1::2]
    assert set(options[::2]) == {"-c"}
    assert "listen_addresses=127.0.0.1" in values and "port=15432" in values
    assert f"unix_socket_directories={tmp_path / 'postgres' / 'run'}" in values
    assert values[:len(native_postgres.SHARED_SETTINGS)] == list(native_postgres.SHARED_SETTINGS)


def test_the_server_runs_as_the_caller_unless_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert native_postgres.run_as() is None
    assert native_postgres.as_user(["postgres", "-D", "x"], None) == ["postgres", "-D", "x"]


def test_root_runs_the_server_as_the_postgres_user(monkeypatch: pytest.MonkeyPatch) -> None:
    account = pwd.struct_passwd(("postgres", "x", 101, 104, "", "/var/lib/postgresql", "/bin/sh"))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(pwd, "getpwnam", lambda name: account if name == "postgres" else None)
    assert native_postgres.run_as() == account
    command = native_postgres.as_user(["postgres", "-D", "x"], account)
    assert command[:1] == ["setpriv"] and "--reuid=101" in command and "--regid=104" in command
    assert command[-3:] == ["postgres", "-D", "x"], "setpriv execs the server: the recorded pid is the server's"


def test_root_without_a_postgres_user_is_told_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> pwd.struct_passwd:
        raise KeyError(name)

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(pwd, "getpwnam", missing)
    with pytest.raises(RuntimeError, match="refuses to run as root.*postgresql package"):
        native_postgres.run_as()


def test_a_folder_the_server_user_cannot_enter_is_found(tmp_path: Path) -> None:
    closed, inner = tmp_path / "closed", tmp_path / "closed" / "stack"
    inner.mkdir(parents=True)
    closed.chmod(0o700)
    stranger = pwd.struct_passwd(("postgres", "x", 65_000, 65_000, "", "/", "/bin/sh"))
    owner = pwd.struct_passwd(("postgres", "x", closed.stat().st_uid, 65_000, "", "/", "/bin/sh"))
    assert native_postgres.first_closed([closed, inner], stranger) == closed
    assert native_postgres.first_closed([closed, inner], owner) is None, "its own folder it may enter"
    closed.chmod(0o711)
    assert native_postgres.first_closed([closed, inner], stranger) is None


def test_an_unreachable_state_folder_names_the_fix(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "postgres").mkdir(parents=True)
    closed.chmod(0o700)
    stranger = pwd.struct_passwd(("postgres", "x", 65_000, 65_000, "", "/", "/bin/sh"))
    with pytest.raises(RuntimeError, match="cannot enter .*COURSE_STATE_DIR"):
        native_postgres._check_reachable(closed / "postgres", stranger)


@pytest.mark.parametrize(("folder", "major"), [("/usr/lib/postgresql/15/bin", 15),
                                               ("/opt/homebrew/opt/postgresql@17/bin", 17), ("/usr/bin", 0)])
def test_the_major_version_is_read_from_the_folder(folder: str, major: int) -> None:
    assert native_postgres.major(folder) == major


def test_connect_worker_is_distributed_on_loopback_with_one_replica_topics(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = settings_with(monkeypatch, CONNECT_URL="http://127.0.0.1:18083", COURSE_CACHE_DIR=str(tmp_path),
                             KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:19092")
    properties = dict(line.split("=", 1) for line in native_connect.worker_properties(settings).splitlines())
    assert properties["bootstrap.servers"] == "127.0.0.1:19092"
    assert properties["listeners"] == "http://127.0.0.1:18083"
    assert {properties[f"{kind}.storage.topic"] for kind in ("config", "offset", "status")} == \
        set(native_connect.TOPICS.values())
    assert all(properties[f"{kind}.storage.replication.factor"] == "1" for kind in ("config", "offset", "status"))
    assert properties["plugin.path"] == str(native_connect.jars_dir(settings) / "plugins")
    assert "-Xmx384m" in native_connect.HEAP


def test_closed_postgres_port_fails_fast_naming_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, POSTGRES_URL=f"postgresql://course:course@127.0.0.1:{CLOSED_PORT}/course")
    with pytest.raises(clients.BrokerUnavailable, match=r"PostgreSQL is not reachable.*`make up-cdc`.*up --cdc"):
        clients.require_postgres(settings)


def test_a_bad_postgres_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, POSTGRES_URL="mysql://course@127.0.0.1:5432/course")
    with pytest.raises(clients.BrokerUnavailable, match="bad POSTGRES_URL.*export POSTGRES_URL="):
        clients.require_postgres(settings)


def test_closed_connect_port_fails_fast_naming_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_with(monkeypatch, CONNECT_URL=f"http://127.0.0.1:{CLOSED_PORT}")
    with pytest.raises(clients.BrokerUnavailable, match=r"Kafka Connect is not reachable.*`make up-cdc`.*up --cdc"):
        clients.require_connect(settings)


@pytest.fixture
def fake_connect(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, str]]]:
    """A stand-in for Connect's REST API on a free loopback port; the test fills in the plugins it lists."""
    plugins: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = json.dumps(plugins if self.path == "/connector-plugins" else {}).encode()
            self.send_response(200 if self.path == "/connector-plugins" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CONNECT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield plugins
    server.shutdown()
    server.server_close()


def test_connect_is_ready_only_once_it_lists_debezium(fake_connect: list[dict[str, str]]) -> None:
    fake_connect.append({"class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "type": "source"})
    early = probe.connect_round_trip()
    assert not early.ok and native_connect.POSTGRES_CONNECTOR in early.detail
    fake_connect.append({"class": native_connect.POSTGRES_CONNECTOR, "type": "source"})
    assert probe.connect_round_trip().ok


def test_the_profile_needs_kafka_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = settings_with(monkeypatch, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{CLOSED_PORT}",
                             COURSE_STATE_DIR=str(tmp_path))
    with pytest.raises(RuntimeError, match="Kafka Connect keeps its configs, offsets and status in Kafka.*make up"):
        stack_main.up_cdc(settings, stack_main.CDC_SERVICES, "cdc")


def test_a_kafka_under_compose_is_told_to_run_natively(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = settings_with(monkeypatch, COURSE_STATE_DIR=str(tmp_path),
                             POSTGRES_URL=f"postgresql://course:course@127.0.0.1:{CLOSED_PORT}/course",
                             CONNECT_URL=f"http://127.0.0.1:{CLOSED_PORT}")
    monkeypatch.setattr(clients, "require_kafka", lambda settings: settings)
    stack_main.write_state(settings, {"kafka": "compose"})
    steps: list[str] = []
    monkeypatch.setattr(native_connect, "resolve_jars", lambda settings: steps.append("jars"))
    monkeypatch.setattr(stack_main, "up", lambda *args: steps.append("up") or 0)
    with pytest.raises(RuntimeError, match="no Kafka Connect service there.*COURSE_STACK=native make up-cdc"):
        stack_main.up_cdc(settings, stack_main.CDC_SERVICES, "cdc")
    assert steps == []
    stack_main.write_state(settings, {"kafka": "native"})
    assert stack_main.up_cdc(settings, stack_main.CDC_SERVICES, "cdc") == 0
    assert steps == ["jars", "up"], "the jars are fetched before anything starts, so no start-up time counts them"


def test_a_foreign_server_on_the_postgres_port_is_named_with_the_fix(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as foreign:  # accepts connections, speaks no PostgreSQL
        port = foreign.getsockname()[1]
        settings = settings_with(monkeypatch, COURSE_STATE_DIR=str(tmp_path), BROKER_CONNECT_TIMEOUT_S="1",
                                 POSTGRES_URL=f"postgresql://course:course@127.0.0.1:{port}/course")
        monkeypatch.setattr(clients, "require_kafka", lambda settings: settings)
        monkeypatch.setattr(stack_main, "up", lambda *args: pytest.fail("started beside a foreign server"))
        with pytest.raises(RuntimeError, match=f"not the course's postgres listens on 127.0.0.1:{port}.*"
                                               "systemctl disable --now postgresql.*POSTGRES_URL"):
            stack_main.up_cdc(settings, stack_main.CDC_SERVICES[:1], "cdc")
