"""A learner at the keyboard: a real kernel runs a notebook's cells in any order, interrupted or not, each bounded.

    async with Learner(path) as learner:
        await learner.run_cells(learner.code_cells)          # Run All
        await learner.run(12, interrupt_after_s=1.0)         # press Interrupt a second into cell 12

Every execution is recorded as an `Execution` (how long, hung, interrupted, its errors and whether their text
names a fix), and `verdict` folds a list of them into ok / clear error / FAILED. The kernel is the course's
(tooling.notebooks.client), started in the notebook's folder with this process's environment (its brokers).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from tooling import notebooks

#: The hang bound: a cell still running after this many seconds hangs (generous: the machine is loaded).
HANG_BOUND_S = float(os.environ.get("LEARNER_CELL_TIMEOUT_S", "120"))
#: How long after sending a consuming cell the learner presses Interrupt: ~1 s, and sooner on a re-run if the
#: cell ended first (where a cell stands 1 s in depends on the machine's load; a correct cell survives any point).
INTERRUPT_AFTERS_S = (1.0, 0.5, 0.25)
#: How an error's text (or what the cell printed with it) names what to do: re-run a cell, `make up`/`make status`,
#: restart or shut down a kernel, or run a named cell or section ("run the publishing cell above, then this one").
FIX = re.compile(r"re-?run|make (?:up|status)|tooling\.stack up|setup cell|(?:restart|shut down) (?:the|that) kernel"
                 r"|\brun (?:the|this|that|section|from)\b[^.;:]{0,60}?\b(?:cells?|section|notebook)\b", re.I)
#: A cell that talks to a broker: Kafka, RabbitMQ or Redis calls, through the helpers or the clients.
BROKER_CALL = re.compile(r"\b(?:kafka_io|rabbit_io|redis_io|protocol_io|pika|kafka|redis)\.|\bchannel\.\w+\("
                         r"|\.(?:poll|send|flush|commit|consume|basic_\w+|queue_\w+|exchange_\w+)\("
                         r"|Kafka(?:Consumer|Producer|AdminClient)\(")
#: A cell that waits for messages: a poll, a consume loop, a basic_get or a drain.
CONSUMING_CALL = re.compile(r"\.(?:poll|consume|basic_consume|basic_get)\(|\b(?:drain|consuming)\(")
DEFINITION = re.compile(r"^def (\w+)\(", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Execution:
    """One execution of one cell: how long it took and what went wrong, if anything."""

    notebook: str
    index: int
    seconds: float
    hung: bool = False
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    text: str = ""
    expected: bool = False

    @property
    def label(self) -> str:
        """`NN[cell]`: the notebook's number and the cell's index in its cell list."""
        return f"{self.notebook[:2]}[{self.index}]"

    @property
    def names_fix(self) -> bool:
        """True when the error's text, or what the cell printed with it, says what to do."""
        return bool(FIX.search(self.text))

    @property
    def raw(self) -> bool:
        """A hang, or an error that names no fix (KeyboardInterrupt after a deliberate interrupt is expected)."""
        return not self.expected and (self.hung or (bool(self.errors) and not self.names_fix))

    def describe(self) -> str:
        """One line for the report: the cell and its first error (or the hang)."""
        if self.hung:
            return f"{self.label} still running after {HANG_BOUND_S:.0f} s (hang)"
        problem = self.errors[0] if self.errors else "ok"
        return f"{self.label} {problem}"[:240]


@dataclass
class Verdict:
    """A scenario's outcome: ok, clear error (every error names a fix) or FAILED (a hang or a raw error)."""

    outcome: str
    detail: str = ""
    cells: list[str] = field(default_factory=list)  # every bad cell, for the report (detail names the first)

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}" if self.detail else self.outcome


def verdict(executions: list[Execution], problems: list[str] | None = None) -> Verdict:
    """Fold executions (and problems the scenario found itself) into one verdict naming the first bad cell."""
    raw = [run for run in executions if run.raw]
    if problems or raw:
        details = list(problems or []) + [run.describe() for run in raw]
        more = f" (+{len(details) - 1} more)" if len(details) > 1 else ""
        return Verdict("FAILED", details[0] + more, details)
    clear = [run for run in executions if run.errors and not run.expected]
    if clear:
        more = f" (+{len(clear) - 1} more)" if len(clear) > 1 else ""
        return Verdict("clear error", clear[0].describe() + more, [run.describe() for run in clear])
    return Verdict("ok")


def cell_text(cell: nbformat.NotebookNode) -> tuple[list[str], str]:
    """A cell's error outputs as `Name: value` lines, and what it said: error messages and printed text, without
    colour and without the traceback's frames (their paths and source lines name modules, not fixes)."""
    errors, parts = [], []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            errors.append(f"{output.ename}: {output.evalue}".splitlines()[0] if output.evalue else output.ename)
            parts.extend([output.ename, output.evalue])
        elif output.output_type == "stream":
            parts.append("".join(output.text))
        else:
            parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return errors, ANSI.sub("", "\n".join(parts))


class Learner:
    """One kernel working through one notebook the way a person does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notebook = nbformat.read(path, as_version=4)
        self.client = notebooks.client(self.notebook, path, allow_errors=True, interrupt_on_timeout=False,
                                       startup_timeout=120)
        self.client.timeout = int(HANG_BOUND_S)
        self.history: list[Execution] = []
        self._kernel = self.client.async_setup_kernel()

    async def __aenter__(self) -> Learner:
        await self._kernel.__aenter__()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._kernel.__aexit__(kind, error, tb)

    @property
    def code_cells(self) -> list[int]:
        """Indexes of the code cells, in order."""
        return [index for index, cell in enumerate(self.notebook.cells) if cell.cell_type == "code"]

    def matching(self, pattern: re.Pattern[str]) -> list[int]:
        """Indexes of the code cells whose source matches `pattern`."""
        return [index for index in self.code_cells if pattern.search(self.notebook.cells[index].source)]

    @property
    def consuming_cells(self) -> list[int]:
        """Code cells that wait for messages: they consume, or call a function an earlier consuming cell defined."""
        found, names = [], []
        for index in self.code_cells:
            source = self.notebook.cells[index].source
            if CONSUMING_CALL.search(source) or any(re.search(rf"\b{name}\(", source) for name in names):
                found.append(index)
                names += DEFINITION.findall(source)
        return found

    @property
    def setup_cell(self) -> int:
        """The Setup cell: the first code cell after the `## Setup` heading (else the first code cell)."""
        after_heading = [index for index in self.code_cells
                         if any(cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Setup")
                                for cell in self.notebook.cells[:index])]
        return (after_heading or self.code_cells)[0]

    async def run(self, index: int, interrupt_after_s: float | None = None) -> Execution:
        """Execute one cell, optionally pressing Interrupt `interrupt_after_s` in; record and return the execution."""
        cell = self.notebook.cells[index]
        started = time.monotonic()
        task = asyncio.ensure_future(self.client.async_execute_cell(cell, index))
        interrupted = hung = False
        if interrupt_after_s is not None:
            done, _ = await asyncio.wait({task}, timeout=interrupt_after_s)
            if not done:
                await self.client.km.interrupt_kernel()
                interrupted = True
        try:
            await task
        except CellTimeoutError:
            hung = True
            await self.client.km.interrupt_kernel()  # as a learner would, so that the next cell can run
        except DeadKernelError as error:
            cell.outputs = [nbformat.v4.new_output("error", ename="DeadKernelError", evalue=str(error), traceback=[])]
        errors, text = cell_text(cell)
        execution = Execution(self.path.name, index, time.monotonic() - started, hung, interrupted, errors, text)
        execution.expected = interrupted and all(error.startswith("KeyboardInterrupt") for error in errors)
        self.history.append(execution)
        return execution

    async def run_cells(self, indexes: list[int], stop_at_error: bool = True) -> list[Execution]:
        """Execute cells one after the other. As Jupyter's Run All (or Run All Below) does, stop at the first
        cell that fails or hangs, unless stop_at_error is False (cells the learner runs one by one)."""
        executions: list[Execution] = []
        for index in indexes:
            executions.append(await self.run(index))
            if stop_at_error and (executions[-1].hung or (executions[-1].errors and not executions[-1].expected)):
                break
        return executions
