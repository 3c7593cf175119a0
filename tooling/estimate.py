"""`make estimate`: how long each notebook takes a learner, by one stated rule, as a table.

    python -m tooling.estimate                        # every notebook
    python -m tooling.estimate notebooks/05_*.ipynb   # some of them

The rule (the one place it is defined): prose is read at WORDS_PER_MINUTE, code at CODE_LINES_PER_MINUTE (every
non-blank line a learner sees, comments included), each exercise takes MINUTES_PER_EXERCISE, and a cell whose lesson
is a wait adds the seconds it showed waiting (the last tick of `waiting.shown` on its stored stderr). Reference solutions (cells
tagged `solution`) are not counted: a learner opens them only when stuck.

A notebook's parts, by its level-2 headings: the **core** runs from the title to the end-of-core marker (a markdown
cell that starts with END_OF_CORE; without one, to the first `## Exercises` or `## Going deeper`), then the Recap;
`## Exercises` starts the exercises; each `## Going deeper` heading starts a part a learner may skip. The limits a
core and its exercises must keep are CORE_LIMIT_MIN and EXERCISES_LIMIT_MIN.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

WORDS_PER_MINUTE = 130
CODE_LINES_PER_MINUTE = 10
MINUTES_PER_EXERCISE = 10
CORE_LIMIT_MIN = 45
EXERCISES_LIMIT_MIN = 30
END_OF_CORE = "**End of the core.**"

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# An exercise's statement starts with its bold number (`**2. Who gets ...**`) or a heading (`### Exercise 2: ...`).
EXERCISE = re.compile(r"^(?:\*\*\d+\.|#{3,4} Exercise\b)", re.M)
WORD = re.compile(r"[A-Za-z0-9][\w'’.,:/-]*")
SHOWN_WAIT = re.compile(r"(\d+) s \(at most \d+ s\)")  # waiting.shown's tick: `why: 16 s (at most 135 s)`
SECTION = re.compile(r"^## ", re.M)


@dataclass
class Part:
    """What a learner reads, runs and does in one part of a notebook."""

    words: int = 0
    code_lines: int = 0
    code_cells: int = 0
    exercises: int = 0
    wait_s: float = 0.0

    @property
    def minutes(self) -> float:
        """This part's minutes by the rule in the module's docstring."""
        return (self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
                + self.exercises * MINUTES_PER_EXERCISE + self.wait_s / 60)


@dataclass(frozen=True)
class Estimate:
    """One notebook's parts."""

    name: str
    core: Part
    exercises: Part
    deeper: Part
    has_marker: bool

    @property
    def code_cells(self) -> int:
        """Code cells a learner runs (reference solutions not counted)."""
        return self.core.code_cells + self.exercises.code_cells + self.deeper.code_cells

    @property
    def words(self) -> int:
        """Prose words in the whole notebook."""
        return self.core.words + self.exercises.words + self.deeper.words


def sections(markdown: str) -> list[str]:
    """A markdown cell cut before each level-2 heading (a cell can hold both `## Recap` and `## Exercises`)."""
    starts = [0, *(m.start() for m in SECTION.finditer(markdown) if m.start() > 0)]
    return [markdown[a:b] for a, b in zip(starts, [*starts[1:], len(markdown)], strict=True)]


def words(markdown: str) -> int:
    """Words a learner reads in markdown: link targets, HTML tags and code fences' markers are not words."""
    text = re.sub(r"\]\([^)]*\)", "]", markdown)
    text = re.sub(r"<[^>]+>", " ", text)
    return len(WORD.findall(text))


def shown_wait_s(cell: nbformat.NotebookNode) -> float:
    """The seconds a waiting lesson showed in this cell's stored stderr (its longest tick; 0 when it showed none)."""
    bounds = [float(b) for output in cell.get("outputs", [])
              if output.get("output_type") == "stream" and output.get("name") == "stderr"
              for b in SHOWN_WAIT.findall(output.get("text", ""))]
    return max(bounds, default=0.0)


def estimate(path: Path) -> Estimate:
    """Split a notebook into core, exercises and deeper parts, and count what each asks of a learner."""
    core, exercises, deeper = Part(), Part(), Part()
    part, has_marker = core, False
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            has_marker = has_marker or cell.source.lstrip().startswith(END_OF_CORE)
            for text in sections(cell.source):
                title = text[3:].lower() if text.startswith("## ") else ""
                if title.startswith("exercises"):
                    part = exercises
                elif title.startswith("going deeper"):
                    part = deeper
                part.words += words(text)
                part.exercises += len(EXERCISE.findall(text)) if part is exercises else 0
        elif cell.cell_type == "code" and "solution" not in cell.metadata.get("tags", []):
            part.code_cells += 1
            part.code_lines += sum(1 for line in cell.source.splitlines() if line.strip())
            part.wait_s += shown_wait_s(cell)
    return Estimate(path.stem, core, exercises, deeper, has_marker)


def table(estimates: Sequence[Estimate]) -> str:
    """The estimates as a text table, a row per notebook and a total, with each core over its limit flagged."""
    lines = [f"{'notebook':<40} {'code cells':>10} {'words':>7} {'core min':>9} {'exercise min':>13} "
             f"{'deeper min':>11}  note"]
    for e in estimates:
        note = []
        if e.core.minutes > CORE_LIMIT_MIN:
            note.append(f"core over {CORE_LIMIT_MIN} min")
        if e.exercises.minutes > EXERCISES_LIMIT_MIN:
            note.append(f"exercises over {EXERCISES_LIMIT_MIN} min")
        if not e.has_marker:
            note.append("no end-of-core marker")
        lines.append(f"{e.name:<40} {e.code_cells:>10} {e.words:>7} {e.core.minutes:>9.0f} "
                     f"{e.exercises.minutes:>13.0f} {e.deeper.minutes:>11.0f}  {', '.join(note)}")
    core_h = sum(e.core.minutes for e in estimates) / 60
    total_h = sum(e.core.minutes + e.exercises.minutes + e.deeper.minutes for e in estimates) / 60
    lines.append(f"the course: {core_h:.1f} h of core, {total_h:.1f} h with exercises and deeper parts "
                 f"({WORDS_PER_MINUTE} words/min, {CODE_LINES_PER_MINUTE} code lines/min, "
                 f"{MINUTES_PER_EXERCISE} min per exercise, plus the waits cells show)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the estimate table for the notebooks named, or for every notebook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(table([estimate(p) for p in paths]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
