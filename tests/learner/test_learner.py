"""Play the learner on notebooks 00-10 (issue 13): re-run, interrupt, restart a broker, open a second tab.

Each scenario drives real kernels against this suite's own stack (conftest.py) and asserts: no hang (every cell
bounded by play.HANG_BOUND_S), no raw traceback (an error is allowed only when its text names the fix), and no
corrupted state (the notebooks' own asserts run in their cells and would raise). Verdicts: ok, clear error (every
error names a fix), FAILED. Run All (and Run All Below) stop at the first failing cell, as Jupyter's do, so one
refusal or failure is not followed by a cascade of NameErrors. The re-run scenario re-runs every broker cell once, last first, right after Run All,
so each one runs again with none of the cells above it re-run (as a learner who scrolls up and re-runs one cell),
then runs the notebook again from the top in the same kernel (Run All twice); re-running each cell *and every cell
after it* would be quadratic, and Run All again covers "the cells after it" once for all of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from play import BROKER_CALL, INTERRUPT_AFTERS_S, Execution, Learner, Verdict, verdict

from helpers.config import PROJECT_ROOT
from tooling.stack.spare import SpareStack

pytestmark = pytest.mark.live

NOTEBOOKS = [path for path in sorted(PROJECT_ROOT.glob("notebooks/[0-9][0-9]_*.ipynb")) if int(path.name[:2]) <= 10]
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


async def rerun(path: Path) -> tuple[Verdict, Verdict, Verdict, list[Execution]]:
    """Run All; then each broker cell again, last first; then Run All again, all in one kernel."""
    async with Learner(path) as learner:
        first = await learner.run_cells(learner.code_cells)
        again = await learner.run_cells(list(reversed(learner.matching(BROKER_CALL))), stop_at_error=False)
        twice = await learner.run_cells(learner.code_cells)
    return verdict(first), verdict(again), verdict(twice), again + twice


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem[:2])
def test_rerun(learner_stack: SpareStack, report, path: Path) -> None:
    """Every cell survives Run All, then its own re-run after the notebook finished, then Run All again."""
    started = time.monotonic()
    first, again, twice, reruns = asyncio.run(rerun(path))
    report.reruns.extend(reruns)
    scenarios = {"top to bottom": first, "re-run each broker cell": again, "Run All again": twice}
    elapsed = time.monotonic() - started
    for scenario, result in scenarios.items():
        report.add(path.stem, scenario, result, elapsed if scenario == "top to bottom" else 0.0)
    failed = [f"{scenario}: {result.detail}" for scenario, result in scenarios.items() if result.outcome == "FAILED"]
    assert not failed, f"{path.name}: " + " | ".join(failed)


async def interrupt(path: Path) -> Verdict:
    """Run All, pressing Interrupt ~1 s into every consuming cell (sooner, on a re-run, when it ended first); the
    learner re-runs the interrupted cell and goes on, stopping at the first cell that fails, as Run All does."""
    async with Learner(path) as learner:
        consuming = set(learner.consuming_cells)
        interrupted: list[str] = []
        for index in learner.code_cells:
            for delay in INTERRUPT_AFTERS_S if index in consuming else (None,):
                run = await learner.run(index, interrupt_after_s=delay)
                if run.interrupted:
                    interrupted.append(f"{run.label} at {delay} s")
                    run = await learner.run(index)  # the learner runs it again, then Run All Below
                    break
                if run.hung or run.errors:
                    break
            if run.hung or (run.errors and not run.expected):
                break
        else:
            if not interrupted:
                return verdict(learner.history, ["every consuming cell ended before an interrupt could land"])
    result = verdict(learner.history)
    return Verdict(result.outcome, "; ".join(filter(None, [result.detail, f"interrupted {', '.join(interrupted)}"])),
                   result.cells)


@pytest.mark.parametrize("path", BROKER_NOTEBOOKS, ids=lambda path: path.stem[:2])
def test_interrupt(learner_stack: SpareStack, report, path: Path) -> None:
    """An interrupted consuming cell leaves everything usable: re-running it and the rest of the notebook passes."""
    played(report, path, "interrupt consuming cells", interrupt(path))


async def restart(path: Path, broker: str, stack: SpareStack) -> Verdict:
    """Stop the broker before the middle broker cell; its error must name the broker and the fix; then follow
    the fix (`make up`, re-run the Setup cell) and go on from the failed cell to the end."""
    async with Learner(path) as learner:
        broker_cells = learner.matching(BROKER_CALL)
        middle = broker_cells[len(broker_cells) // 2]
        await learner.run_cells([index for index in learner.code_cells if index < middle])
        stack.stop(broker)
        failed = None
        for index in [index for index in learner.code_cells if index >= middle]:
            run = await learner.run(index)
            if run.errors or run.hung:
                failed = run
                break
        stack.restart(broker)
        problems = []
        if failed is None:
            problems.append(f"no cell from {path.name[:2]}[{middle}] on noticed that {broker} was stopped")
        else:
            named = broker in failed.text.lower()
            if failed.hung or not (named and failed.names_fix):
                problems.append(f"{failed.describe()} (with {broker} stopped: the error should name {broker} "
                                "and the fix)")
            failed.expected = True
            await learner.run(learner.setup_cell)
            await learner.run_cells([index for index in learner.code_cells if index >= failed.index])
    result = verdict(learner.history, problems)
    where = f"stopped {broker} before {path.name[:2]}[{middle}]" + (f", error at {failed.label}" if failed else "")
    return Verdict(result.outcome, "; ".join(filter(None, [result.detail, where])), result.cells)


@pytest.mark.parametrize("path", by_number(list(RESTARTED)), ids=lambda path: path.stem[:2])
def test_broker_restart(learner_stack: SpareStack, report, path: Path) -> None:
    """A broker stopped mid-notebook: the error says which and what to do, and doing it lets the notebook finish."""
    played(report, path, "broker restart", restart(path, RESTARTED[path.name[:2]], learner_stack))


async def two_kernels(path: Path) -> Verdict:
    """The same notebook, Run All in two kernels at the same time."""
    async with Learner(path) as one, Learner(path) as other:
        await asyncio.gather(one.run_cells(one.code_cells), other.run_cells(other.code_cells))
    return verdict(one.history + other.history)


@pytest.mark.parametrize("path", by_number(list(RESTARTED)), ids=lambda path: path.stem[:2])
def test_two_kernels(learner_stack: SpareStack, report, path: Path) -> None:
    """Two tabs on one notebook: both finish, or one is refused clearly; neither breaks the other's state."""
    played(report, path, "two kernels", two_kernels(path))
