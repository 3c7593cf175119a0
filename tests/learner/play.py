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
from collections.abc import Awaitable, Callable, Mapping
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
#: How an error's own message names what to do: re-run a cell, `make up`/`make status`, restart or shut down a
#: kernel, or run a named cell or section ("run the publishing cell above, then this one").
FIX = re.compile(r"re-?run|make (?:up|status)|tooling\.stack up|setup cell|(?:restart|shut down) (?:the|that) kernel"
                 r"|shut (?:the|that) kernel down"
                 r"|\brun (?:the|this|that|section|from)\b[^.;:]{0,60}?\b(?:cells?|section|notebook)\b", re.I)
#: The clauses of a fix the suite follows, in the order the message gives them: a kernel to shut down, the stack to
#: bring up, a span of cells up to the failed one, a whole section, the Setup cell (its first code cell) or cells (every
#: code cell of the Setup section), or the cell(s) just above.
STEP = re.compile(r"(?P<kernel>shut (?:down )?(?:that|the other) kernel|shut that kernel down)"
                  r"|(?P<restart>restart (?:the|this|your) kernel)"
                  r"|(?P<stack>make (?:up|status)\b(?!-)|tooling\.stack up)"
                  r"|(?P<span>(?:cells )?from (?:the first cell of )?section (?P<span_from>\d+)"
                  r"|section (?P<span_on>\d+)(?: on\b| from its first(?: \w+)? cell)"
                  r"|(?P<span_here>this section from its first(?: \w+)? cell)"
                  r"|(?P<span_setup>from the setup cell)|(?P<span_all>(?<=run )this notebook(?!'s| from)))"
                  r"|section (?P<section>\d+)"
                  r"|(?P<setup>setup cell(?P<setup_all>s)?)"
                  r"|the (?P<above>(?:two )?(?:[\w-]+ ){0,2}cells? above|cell that \w+ it)", re.I)
#: What the course's recovery hook prints under a broker error (helpers/recovery.py): part of the error's message.
ADVICE = re.compile(r"^👉 .*", re.M)
#: A warning as Python prints it on stderr (tests/test_notebook_warnings.py checks the stored outputs the same way).
WARNING = re.compile(r"\w*Warning\b")
#: A cell that talks to a broker: Kafka, RabbitMQ or Redis calls, through the helpers or the clients.
BROKER_CALL = re.compile(r"\b(?:kafka_io|rabbit_io|redis_io|protocol_io|streaming|pika|kafka|redis)\.|\bchannel\.\w+\("
                         r"|\.(?:poll|send|flush|commit|consume|basic_\w+|queue_\w+|exchange_\w+)\("
                         r"|Kafka(?:Consumer|Producer|AdminClient)\(")
#: A cell that waits for messages: a poll, a consume loop, a basic_get, a drain or a Quix Streams run (16).
CONSUMING_CALL = re.compile(r"\.(?:poll|consume|basic_consume|basic_get)\(|\b(?:drain|consuming)\(|\bstreaming\.run\(")
DEFINITION = re.compile(r"^def (\w+)\(", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SECTION_HEADING = re.compile(r"^#{2,3} (\d+)\.", re.M)


@dataclass
class Execution:
    """One execution of one cell: how long it took, what went wrong, and the fix the suite followed, if any."""

    notebook: str
    index: int
    seconds: float
    hung: bool = False
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    message: str = ""  # the error's own message (and the recovery hook's advice under it), not what the cell printed
    warnings: list[str] = field(default_factory=list)
    expected: bool = False
    fixed: str = ""  # the fix the error named, followed, after which the cell passed

    @property
    def label(self) -> str:
        """`NN[cell]`: the notebook's number and the cell's index in its cell list."""
        return f"{self.notebook[:2]}[{self.index}]"

    @property
    def failed(self) -> bool:
        """True when the cell hung or raised."""
        return self.hung or bool(self.errors)

    @property
    def names_fix(self) -> bool:
        """True when the error's own message says what to do."""
        return bool(FIX.search(self.message))

    @property
    def raw(self) -> bool:
        """A hang or an error that no followed fix cured (KeyboardInterrupt after a deliberate interrupt is expected)."""
        return self.failed and not self.expected and not self.fixed

    def describe(self) -> str:
        """One line for the report: the cell and its first error (or the hang), and the fix that cured it."""
        if self.hung:
            return f"{self.label} still running after {HANG_BOUND_S:.0f} s (hang)"
        problem = self.errors[0][:160] if self.errors else "ok"
        return f"{self.label} {problem}" + (f" -> {self.fixed}" if self.fixed else "")


@dataclass
class Verdict:
    """A scenario's outcome: ok, clear error (its target cell failed, named a fix, and the fix worked) or FAILED."""

    outcome: str
    detail: str = ""
    cells: list[str] = field(default_factory=list)  # every bad cell, for the report (detail names the first)

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}" if self.detail else self.outcome


def verdict(executions: list[Execution], problems: list[str] | None = None) -> Verdict:
    """Fold executions (and problems the scenario found itself) into one verdict naming the first bad cell."""
    details = list(problems or []) + [run.describe() for run in executions if run.raw]
    details += [f"{run.label} warned: {warning}"[:240] for run in executions for warning in run.warnings]
    if details:
        more = f" (+{len(details) - 1} more)" if len(details) > 1 else ""
        return Verdict("FAILED", details[0] + more, details)
    cleared = [run.describe() for run in executions if run.fixed]
    if cleared:
        more = f" (+{len(cleared) - 1} more)" if len(cleared) > 1 else ""
        return Verdict("clear error", cleared[0] + more, cleared)
    return Verdict("ok")


def cell_text(cell: nbformat.NotebookNode) -> tuple[list[str], str, list[str]]:
    """A cell's errors as `Name: value` lines; their own message (with the recovery hook's advice, without colour
    and without the traceback's frames, whose paths and source lines name modules, not fixes); its warnings."""
    errors, message, warnings = [], [], []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            errors.append(f"{output.ename}: {output.evalue}".splitlines()[0] if output.evalue else output.ename)
            message.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stdout" and errors:
            message.extend(ADVICE.findall(ANSI.sub("", "".join(output.text))))
        elif output.output_type == "stream" and output.name == "stderr":
            warnings.extend(line.strip() for line in "".join(output.text).splitlines() if WARNING.search(line))
    return errors, ANSI.sub("", "\n".join(message)), warnings


Action = Callable[[], Awaitable[None]]


async def _stack_is_up() -> None:
    """`make up` where the scenario stopped no broker: every service already answers, so it starts nothing."""


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

    async def shut_down(self) -> None:
        """Shut this kernel down, as Kernel > Shut Down Kernel does (the context's exit then has nothing to stop)."""
        if self.client.km is not None and await self.client.km.is_alive():
            await self.client.km.shutdown_kernel()

    async def restart_kernel(self) -> None:
        """Kernel > Restart Kernel: a fresh process, every variable gone."""
        await self.client.km.restart_kernel()

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

    @property
    def setup_cells(self) -> list[int]:
        """The code cells of the `## Setup` section, in order (the first code cell when there is no such heading)."""
        first = self.setup_cell
        end = next((index for index, cell in enumerate(self.notebook.cells) if index > first
                    and cell.cell_type == "markdown" and re.search(r"^##? ", cell.source, re.M)), len(self.notebook.cells))
        return [index for index in self.code_cells if first <= index < end]

    def section(self, number: int) -> list[int]:
        """The code cells of section `number` (a `## N.` heading), up to the next section's heading."""
        headings = [index for index, cell in enumerate(self.notebook.cells)
                    if cell.cell_type == "markdown" and re.search(r"^##? ", cell.source, re.M)]
        start = next((index for index in headings if any(int(found) == number for found in
                                                         SECTION_HEADING.findall(self.notebook.cells[index].source))),
                     None)
        if start is None:
            return []
        end = next((index for index in headings if index > start), len(self.notebook.cells))
        return [index for index in self.code_cells if start < index < end]

    def section_start(self, index: int) -> int:
        """The first code cell of the section (`## ` heading) that holds cell `index`."""
        heading = max((i for i, cell in enumerate(self.notebook.cells[:index])
                       if cell.cell_type == "markdown" and re.search(r"^## ", cell.source, re.M)), default=-1)
        return next(i for i in self.code_cells if i > heading)

    def fix_plan(self, run: Execution) -> list[int | str]:
        """What the error's fix says to do, in its order: cell indexes and actions ('stack', 'kernel'); the failed
        cell itself comes last. Empty when no clause of the message is one the suite can follow."""
        plan: list[int | str] = []
        before = [index for index in self.code_cells if index < run.index]
        fix = FIX.search(run.message)  # what comes before the fix is the problem's description, not the fix
        clauses = list(STEP.finditer(run.message, fix.start())) if fix else []
        for clause in clauses:
            if clause["kernel"] or clause["stack"] or clause["restart"]:
                plan.append(next(action for action in ("kernel", "stack", "restart") if clause[action]))
            elif clause["span"]:
                first = (self.section((int(clause["span_from"] or clause["span_on"] or 0)) or [None])[0]
                         if clause["span_from"] or clause["span_on"] else
                         self.section_start(run.index) if clause["span_here"] else
                         self.setup_cell if clause["span_setup"] else self.code_cells[0])
                plan += [index for index in before if first is not None and index >= first]
            elif clause["section"]:  # a whole section, or the part above the failed cell when it is in it
                cells = self.section(int(clause["section"]))
                plan += [index for index in cells if index < run.index] if run.index in cells else cells
            elif clause["setup"]:
                plan += [index for index in self.setup_cells if index < run.index] if clause["setup_all"] else [self.setup_cell]
            elif clause["above"]:
                plan += before[-2:] if clause["above"].lower().startswith("two ") else before[-1:]
        plan = [step for number, step in enumerate(plan) if number == 0 or plan[number - 1] != step]  # make up once
        return (plan if plan[-1:] == [run.index] else plan + [run.index]) if clauses else []

    async def follow_fix(self, run: Execution, actions: Mapping[str, Action] | None = None) -> str:
        """Do what `run`'s error says, then run its cell again. When every step and the cell pass, mark `run` fixed
        and return ""; otherwise return why the fix did not work (the failing step stays in the history)."""
        if not run.names_fix:
            return f"{run.describe()} (the error names no fix)"
        plan = self.fix_plan(run)
        if not plan:
            return f"{run.describe()} (the suite cannot follow the fix it names: {run.message[-200:]!r})"
        actions = {"stack": _stack_is_up, "restart": self.restart_kernel, **(actions or {})}
        done = []
        for step in plan:
            if isinstance(step, str):
                if step not in actions:
                    return f"{run.describe()} (the fix needs another kernel to shut down, and there is none)"
                await actions[step]()
                done.append({"stack": "make up", "kernel": "shut the other kernel down",
                             "restart": "restart the kernel"}[step])
                continue
            again = await self.run(step)
            done.append(again.label)
            if again.failed:
                return (f"{run.label}'s fix did not work: followed {', '.join(done)}; "
                        f"{again.describe()}")
        run.fixed = "followed " + ", ".join(done) + ": passed"
        return ""

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
        errors, message, warnings = cell_text(cell)
        execution = Execution(self.path.name, index, time.monotonic() - started, hung, interrupted, errors, message,
                              warnings)
        execution.expected = interrupted and all(error.startswith("KeyboardInterrupt") for error in errors)
        self.history.append(execution)
        return execution

    async def run_cells(self, indexes: list[int], stop_at_error: bool = True) -> list[Execution]:
        """Execute cells one after the other. As Jupyter's Run All (or Run All Below) does, stop at the first
        cell that fails or hangs, unless stop_at_error is False (cells the learner runs one by one)."""
        executions: list[Execution] = []
        for index in indexes:
            executions.append(await self.run(index))
            if stop_at_error and executions[-1].failed and not executions[-1].expected:
                break
        return executions
