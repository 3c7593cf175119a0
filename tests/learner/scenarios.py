"""The learner's scenarios, each a coroutine playing one notebook in real kernels and returning its verdict.

Run All (top to bottom, and again in the same kernel) passes only by finishing. Elsewhere an error is allowed
only in the cell the scenario targets (the cell re-run, the cell interrupted, the first cell after a broker
stopped, a second kernel's refused cell), only when its own message names the fix, and only when the suite,
following that fix (the cells it names, `make up`, shutting the other kernel down), then sees the cell pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from play import BROKER_CALL, INTERRUPT_AFTERS_S, Action, Execution, Learner, Verdict, verdict


def finished(learner: Learner, executions: list[Execution]) -> list[str]:
    """A Run All (or Run All Below) that stopped before the notebook's last code cell, as a problem."""
    last = learner.code_cells[-1]
    if executions and executions[-1].index == last and not executions[-1].raw:
        return []
    where = f"at {executions[-1].label}" if executions else "before its first cell"
    return [f"Run All stopped {where}, before {learner.path.name[:2]}[{last}]"]


async def rerun(path: Path) -> tuple[Verdict, Verdict, Verdict, list[Execution]]:
    """Run All; then each broker cell again, last first, following any fix it names; then Run All again."""
    async with Learner(path) as learner:
        first = await learner.run_cells(learner.code_cells)
        top = verdict(first, finished(learner, first))
        start = len(learner.history)
        problems = []
        for index in reversed(learner.matching(BROKER_CALL)):
            run = await learner.run(index)
            if run.failed:
                problems += filter(None, [await learner.follow_fix(run)])
        again = verdict(learner.history[start:], problems)
        reruns = learner.history[start:]
        twice = await learner.run_cells(learner.code_cells)
    return top, again, verdict(twice, finished(learner, twice)), reruns + twice


async def interrupt(path: Path) -> Verdict:
    """Run All, pressing Interrupt ~1 s into every consuming cell (sooner, on a re-run, when it ended first); the
    learner re-runs the interrupted cell (following the fix it names, if it fails) and goes on to the end."""
    async with Learner(path) as learner:
        consuming = set(learner.consuming_cells)
        interrupted: list[str] = []
        problems: list[str] = []
        for index in learner.code_cells:
            for delay in INTERRUPT_AFTERS_S if index in consuming else (None,):
                run = await learner.run(index, interrupt_after_s=delay)
                if run.interrupted:
                    interrupted.append(f"{run.label} at {delay} s")
                    run = await learner.run(index)  # the learner runs it again, then Run All Below
                    if run.failed:
                        problems += filter(None, [await learner.follow_fix(run)])
                    break
                if run.failed:
                    if delay not in (None, INTERRUPT_AFTERS_S[0]):  # a re-run on its own after the cell ended:
                        problems += filter(None, [await learner.follow_fix(run)])  # as in `rerun`, follow its fix
                    break
            if run.raw:
                break
        else:
            if not interrupted:
                problems.append("every consuming cell ended before an interrupt could land")
    result = verdict(learner.history, problems)
    return Verdict(result.outcome, "; ".join(filter(None, [result.detail, f"interrupted {', '.join(interrupted)}"])),
                   result.cells)


async def restart(path: Path, broker: str, stop: Callable[[], None], start: Callable[[], None]) -> Verdict:
    """Stop the broker before the middle broker cell; the first cell to fail must name the broker and a fix; the
    learner follows that fix (`make up` brings the broker back) and goes on from the failed cell to the end."""
    async with Learner(path) as learner:
        broker_cells = learner.matching(BROKER_CALL)
        middle = broker_cells[len(broker_cells) // 2]
        await learner.run_cells([index for index in learner.code_cells if index < middle])
        stop()
        failed = None
        for index in [index for index in learner.code_cells if index >= middle]:
            run = await learner.run(index)
            if run.failed:
                failed = run
                break
        problems = []
        if failed is None:
            problems.append(f"no cell from {path.name[:2]}[{middle}] on noticed that {broker} was stopped")
        else:
            if broker not in failed.message.lower():
                problems.append(f"{failed.describe()} (with {broker} stopped: the error should name {broker})")

            async def make_up() -> None:
                start()

            problems += filter(None, [await learner.follow_fix(failed, {"stack": make_up})])
        start()  # whatever the fix said, the broker is back before the next scenario
        if failed is not None and failed.fixed:
            rest = await learner.run_cells([index for index in learner.code_cells if index > failed.index])
            problems += finished(learner, rest) if rest else []
    result = verdict(learner.history, problems)
    where = f"stopped {broker} before {path.name[:2]}[{middle}]" + (f", error at {failed.label}" if failed else "")
    return Verdict(result.outcome, "; ".join(filter(None, [result.detail, where])), result.cells)


async def two_kernels(path: Path) -> Verdict:
    """The same notebook, Run All in two kernels at the same time: both finish, or one is refused with a fix
    (shut the other kernel down) that, followed, lets it finish."""
    async with Learner(path) as one, Learner(path) as other:
        runs = await asyncio.gather(one.run_cells(one.code_cells), other.run_cells(other.code_cells))
        problems: list[str] = []
        for learner, executions, peer in ((one, runs[0], other), (other, runs[1], one)):
            refused = executions[-1] if executions and executions[-1].failed else None
            if refused is None:
                problems += finished(learner, executions)
                continue
            shut: Action = peer.shut_down
            problems += filter(None, [await learner.follow_fix(refused, {"kernel": shut})])
            if refused.fixed:
                rest = await learner.run_cells([i for i in learner.code_cells if i > refused.index])
                problems += finished(learner, rest) if rest else []
    return verdict(one.history + other.history, problems)
