"""Fault injection against real brokers: a native course stack of its own on spare ports, killed on purpose.

Not part of `pytest tests` (slow, kills brokers; see norecursedirs in pyproject.toml): run it with
`make test-faults`, i.e. `pytest tests/faults`.
The stack lives in a temporary state folder and is always brought down at the end; the course's default
brokers are never touched. Ports: the block 32xxx of tooling.stack.spare, FAULTS_KAFKA_PORT (32092),
FAULTS_KAFKA_CONTROLLER_PORT (32093), FAULTS_RABBITMQ_PORT (32672), FAULTS_RABBITMQ_DIST_PORT (32673),
FAULTS_RABBITMQ_MANAGEMENT_PORT (32674), FAULTS_RABBITMQ_MQTT_PORT (32675), FAULTS_RABBITMQ_STOMP_PORT (32676),
FAULTS_REDIS_PORT (32679); keep them below Linux's ephemeral range (why: tooling/stack/spare.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tooling.stack.spare import SpareStack, busy_ports, environment

COLUMNS = ("fault", "injected", "events in", "processed", "redelivered", "lost", "duplicated")


@pytest.fixture(scope="session")
def spare_stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[SpareStack]:
    """Bring up a native stack on spare ports, point this process's settings at it, always bring it down."""
    state_dir = tmp_path_factory.mktemp("fault-stack")
    env = environment("FAULTS", 32000, state_dir, tmp_path_factory.mktemp("fault-data"))
    busy = busy_ports(env)
    if busy:  # `up` would reuse whatever answers there, and the faults would hit someone else's broker
        pytest.exit(f"fault-stack ports {busy} are in use: set FAULTS_KAFKA_PORT, FAULTS_KAFKA_CONTROLLER_PORT, "
                    "FAULTS_RABBITMQ_PORT, FAULTS_RABBITMQ_DIST_PORT to free ports below 32768", returncode=2)
    stack = SpareStack(env, state_dir)
    request.config.stash[NOTES_KEY] = stack.notes
    with stack.serving():
        yield stack


@pytest.fixture(scope="session")
def fault_table(request: pytest.FixtureRequest) -> list[dict[str, object]]:
    """Rows of the fault table, printed at the end of the run."""
    rows: list[dict[str, object]] = []
    request.config.stash[TABLE_KEY] = rows
    return rows


TABLE_KEY = pytest.StashKey[list]()
NOTES_KEY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print one row per injected fault: injected N times, events in / processed / redelivered / lost / duplicated."""
    rows = config.stash.get(TABLE_KEY, [])
    for note in config.stash.get(NOTES_KEY, []):
        terminalreporter.write_line(f"note: {note}")
    if not rows:
        return
    widths = [max(len(str(row.get(column, ""))) for row in [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows])
              for column in COLUMNS]
    terminalreporter.section("fault table")
    for row in [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows]:
        terminalreporter.write_line("  ".join(str(row.get(c, "")).rjust(w) if i else str(row.get(c, "")).ljust(w)
                                              for i, (c, w) in enumerate(zip(COLUMNS, widths, strict=True))))
