"""`make profile`: where a learner waits. Execute every notebook and time each code cell.

    python -m tooling.profile                              # every notebook
    python -m tooling.profile notebooks/01_*.ipynb         # some of them
    python -m tooling.profile --from .stack/cell-times.json   # the times a strict nbval run recorded (no run)

Each notebook runs top to bottom in a fresh kernel against the running brokers, exactly as `make execute`
runs it, but nothing is saved. With --from, the times come from an nbval run that recorded them
(tooling.cell_times, loaded by tests/rerun.py), so CI profiles the runs it makes anyway. Per notebook it prints the total time and the slowest cells (index and first
line), and marks cells over the budget (3 s). A cell whose lesson is a wait shows it with `waiting.shown(why, ...)`,
which ticks on stderr: the report names it a waiting lesson, with its reason, and does not count it over budget.
It asserts no time: it exits 0 unless a notebook raises.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers import waiting
from tooling import notebooks

BUDGET_S = 3.0
SLOWEST = 3


@dataclass(frozen=True)
class CellTime:
    """How long one code cell took."""

    index: int
    first_line: str
    seconds: float
    waits_for: str = ""  # the reason a waiting lesson gives, "" for every other cell


@dataclass(frozen=True)
class Profile:
    """One notebook's run: its total time, every code cell's time, and the error that stopped it, if any."""

    name: str
    total_s: float
    cells: tuple[CellTime, ...]
    error: str = ""


def first_line(source: str) -> str:
    """The first line of a cell that says what it does (skips blank lines and nbval markers)."""
    for line in source.splitlines():
        text = line.strip()
        if text and not text.startswith("# NBVAL_"):
            return text
    return ""


def waits_for(outputs: Sequence[dict]) -> str:
    """Why an executed cell waited, as the `waiting.shown(...)` line on its stderr says ("" when it showed none)."""
    stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
    return waiting.shown_reason(stderr)


def slowest(cells: Sequence[CellTime], n: int = SLOWEST) -> list[CellTime]:
    """The `n` slowest cells, slowest first (ties in notebook order)."""
    return sorted(cells, key=lambda c: (-c.seconds, c.index))[:n]


def over_budget(cells: Sequence[CellTime], budget_s: float = BUDGET_S) -> list[CellTime]:
    """Cells that took longer than the budget, in notebook order; waiting lessons are not over it."""
    return [c for c in cells if c.seconds > budget_s and not c.waits_for]


def format_profile(profile: Profile, budget_s: float = BUDGET_S) -> str:
    """A few lines for one notebook: total, slowest cells, how many are over budget, the error if any."""
    lines = [f"{profile.name}: {profile.total_s:.1f} s, {len(profile.cells)} code cells"]
    for cell in slowest(profile.cells):
        flag = "  OVER BUDGET" if cell in over_budget([cell], budget_s) else ""
        lines.append(f"  cell {cell.index:>3}  {cell.seconds:6.2f} s  {cell.first_line[:70]}{flag}")
    over = over_budget(profile.cells, budget_s)
    lines.append(f"  {len(over)} cell(s) over {budget_s:g} s" + (": " + ", ".join(str(c.index) for c in over)
                                                                  if over else ""))
    for cell in (c for c in profile.cells if c.waits_for and c.seconds > budget_s):
        lines.append(f"  waiting lesson: cell {cell.index} ({cell.seconds:.1f} s) waits for {cell.waits_for}")
    if profile.error:
        lines.append(f"  ERROR: {profile.error}")
    return "\n".join(lines)


def profile(path: Path) -> Profile:
    """Execute one notebook in a fresh kernel, timing each code cell; the notebook is not saved."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    started_at: dict[int, float] = {}
    cells: list[CellTime] = []

    def on_cell_execute(cell, cell_index, **_) -> None:
        started_at[cell_index] = time.perf_counter()

    def on_cell_executed(cell, cell_index, **_) -> None:
        seconds = time.perf_counter() - started_at[cell_index]
        cells.append(CellTime(cell_index, first_line(cell.source), seconds, waits_for(cell.get("outputs", []))))

    client = notebooks.client(notebook, path, on_cell_execute=on_cell_execute, on_cell_executed=on_cell_executed)
    started, error = time.perf_counter(), ""
    try:
        client.execute()
    except Exception as failure:  # a notebook that raises is reported, and the others still run
        error = f"{type(failure).__name__}: {str(failure).strip().splitlines()[-1] if str(failure).strip() else ''}"
    return Profile(path.name, time.perf_counter() - started, tuple(cells), error)


def recorded(path: Path, names: Sequence[str] = ()) -> list[Profile]:
    """The profiles an nbval run recorded in a JSON file (tooling.cell_times), all or those of the notebooks named;
    a notebook's total is the sum of its cells' times."""
    notebooks = json.loads(path.read_text())["notebooks"]
    profiles = []
    for name, entry in notebooks.items():
        if names and name not in names:
            continue
        cells = tuple(CellTime(c["index"], c["first_line"], c["seconds"], c["waits_for"]) for c in entry["cells"])
        profiles.append(Profile(name, sum(c.seconds for c in cells), cells, entry["error"]))
    return profiles


def summary(profiles: Sequence[Profile], seconds: float) -> str:
    """The last line: how many notebooks, in how long, cells over budget, waiting lessons over it, failures."""
    over = sum(len(over_budget(p.cells)) for p in profiles)
    waits = sum(1 for p in profiles for c in p.cells if c.waits_for and c.seconds > BUDGET_S)
    failed = [p.name for p in profiles if p.error]
    return (f"{len(profiles)} notebooks in {seconds:.0f} s; {over} cell(s) over {BUDGET_S:g} s, "
            f"{waits} waiting lesson(s) over it" + (f"; FAILED: {', '.join(failed)}" if failed else ""))


def main(argv: list[str] | None = None) -> int:
    """Entry point: profile the notebooks named (default: all), print a report; 1 if any notebook raised."""
    parser = argparse.ArgumentParser(prog="python -m tooling.profile", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--from", dest="source", type=Path, help="print the times an nbval run recorded in this JSON")
    args = parser.parse_args(argv)
    if args.source is not None:
        profiles = recorded(args.source, [path.name for path in args.notebooks])
        print("\n".join(format_profile(p) for p in profiles))
        print(f"\n(recorded by an nbval run in {args.source}) " + summary(profiles, sum(p.total_s for p in profiles)))
        return 1 if not profiles or any(p.error for p in profiles) else 0
    paths = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    started, profiles = time.perf_counter(), []
    for path in paths:
        profiles.append(profile(path))
        print(format_profile(profiles[-1]), flush=True)
    print("\n" + summary(profiles, time.perf_counter() - started))
    return 1 if any(p.error for p in profiles) else 0


if __name__ == "__main__":
    sys.exit(main())
