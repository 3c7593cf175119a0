"""Fault injection on the three-node cluster: leaders killed on purpose while clients produce and consume.

Not part of `pytest tests` (slow, kills brokers; see norecursedirs in pyproject.toml): run it with
`make test-cluster`, which holds /tmp/course-fixed-ports.lock because the cluster's ports are fixed
(CLUSTER_* in helpers/config.py; defaults 9192/9292/9392, 9193/9293/9393, 5682-5684, 25682-25684).
The suite uses the course's cluster: nodes it finds running are reused, a port held by anything else is
refused, nodes it started are stopped at the end, and every node it killed is started again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import config
from tooling.stack import cluster

COLUMNS = ("fault", "injected", "in", "acknowledged", "found afterwards", "redelivered", "lost", "duplicated")
RESULTS: list[dict[str, object]] = []


@pytest.fixture(scope="session")
def healthy_cluster() -> Iterator[None]:
    """The cluster up and healthy for the session; afterwards healthy again, and stopped if we started it."""
    settings = config.load()
    already = [n for n in cluster.nodes("all") if cluster.module(n).running(settings, n)]
    cluster.up("all")
    cluster.ensure_healthy("all")
    yield
    cluster.ensure_healthy("all")
    if not already:
        cluster.down("all")


@pytest.fixture
def fault_table() -> list[dict[str, object]]:
    """Where a test records its row of the fault table (printed at the end of the run)."""
    return RESULTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault table: what was injected, sent, acknowledged and found, and what was lost."""
    if not RESULTS:
        return
    widths = {c: max(len(c), *(len(str(r.get(c, "-"))) for r in RESULTS)) for c in COLUMNS}
    terminalreporter.section("cluster fault table")
    terminalreporter.write_line("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    for row in RESULTS:
        terminalreporter.write_line("  ".join(str(row.get(c, "-")).ljust(widths[c]) for c in COLUMNS))
