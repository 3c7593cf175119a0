"""Play the learner on every single-node notebook (issues 13 and 31): re-run, interrupt, restart a broker, open a second tab.

Each scenario (scenarios.py) drives real kernels against this suite's own stack (conftest.py) and asserts: no hang
(every cell bounded by play.HANG_BOUND_S), no warning, Run All finishes, and an error only in the cell a scenario
targets, only when its own message names the fix, and only when following that fix makes the cell pass; the
notebooks' own asserts run in their cells and catch corrupted state. Verdicts: ok, clear error (a targeted cell
failed and its fix, followed, worked), FAILED. The re-run scenario re-runs every broker cell once, last first,
right after Run All, so each one runs again with none of the cells above it re-run (as a learner who scrolls up and
re-runs one cell), then runs the notebook again from the top in the same kernel (Run All twice); re-running each
cell *and every cell after it* would be quadratic, and Run All again covers "the cells after it" once for all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
import scenarios
from play import Verdict

from helpers.config import PROJECT_ROOT
from tooling.stack.spare import SpareStack

pytestmark = pytest.mark.live

#: Notebooks 11-12 kill and restart nodes of the three-node cluster, which this suite's single-node stack does not have.
CLUSTER_NOTEBOOKS = ("11", "12")
NOTEBOOKS = [path for path in sorted(PROJECT_ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
             if path.name[:2] not in CLUSTER_NOTEBOOKS]
BROKER_NOTEBOOKS = [path for path in NOTEBOOKS if int(path.name[:2]) >= 5]
#: One Kafka and one RabbitMQ notebook for the broker restart and the two kernels.
RESTARTED = {"06": "kafka", "08": "rabbitmq"}


def by_number(numbers: list[str]) -> list[Path]:
    """The notebooks with these two-digit numbers."""
    return [path for path in NOTEBOOKS if path.name[:2] in numbers]


def played(report, path: Path, scenario: str, game: Coroutine[Any, Any, Verdict]) -> None:
    """Play one scenario, put its verdict in the report, and fail the test when it is FAILED."""
    started = time.monotonic()
    result = asyncio.run(game)
    report.add(path.stem, scenario, result, time.monotonic() - started)
    assert result.outcome != "FAILED", f"{path.name} / {scenario}: {result.detail}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem[:2])
def test_rerun(learner_stack: SpareStack, report, path: Path) -> None:
    """Every cell survives Run All, then its own re-run after the notebook finished, then Run All again."""
    started = time.monotonic()
    first, again, twice, reruns = asyncio.run(scenarios.rerun(path))
    report.reruns.extend(reruns)
    verdicts = {"top to bottom": first, "re-run each broker cell": again, "Run All again": twice}
    elapsed = time.monotonic() - started
    for scenario, result in verdicts.items():
        report.add(path.stem, scenario, result, elapsed if scenario == "top to bottom" else 0.0)
    failed = [f"{scenario}: {result.detail}" for scenario, result in verdicts.items() if result.outcome == "FAILED"]
    assert not failed, f"{path.name}: " + " | ".join(failed)


@pytest.mark.parametrize("path", BROKER_NOTEBOOKS, ids=lambda path: path.stem[:2])
def test_interrupt(learner_stack: SpareStack, report, path: Path) -> None:
    """An interrupted consuming cell leaves everything usable: re-running it and the rest of the notebook passes."""
    played(report, path, "interrupt consuming cells", scenarios.interrupt(path))


@pytest.mark.parametrize("path", by_number(list(RESTARTED)), ids=lambda path: path.stem[:2])
def test_broker_restart(learner_stack: SpareStack, report, path: Path) -> None:
    """A broker stopped mid-notebook: the error says which and what to do, and doing it lets the notebook finish."""
    broker = RESTARTED[path.name[:2]]
    played(report, path, "broker restart",
           scenarios.restart(path, broker, lambda: learner_stack.stop(broker), lambda: learner_stack.restart(broker)))


@pytest.mark.parametrize("path", by_number(list(RESTARTED)), ids=lambda path: path.stem[:2])
def test_two_kernels(learner_stack: SpareStack, report, path: Path) -> None:
    """Two tabs on one notebook: both finish, or one is refused clearly; neither breaks the other's state."""
    played(report, path, "two kernels", scenarios.two_kernels(path))
