"""Regenerate notebooks' stored outputs (run each top to bottom in a fresh kernel, save in place), and the
flags strict nbval runs them with (the Makefile, tests/rerun.py and tests/launch read them from here).

Usage: python -m tooling.notebooks execute notebooks/05_kafka_fundamentals.ipynb [...]
       python -m tooling.notebooks nbval-args
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT_S = 180
#: pytest's arguments for strict nbval: stored outputs compared, addresses and ids sanitised, every cell bounded.
NBVAL_ARGS = ["--nbval", "--nbval-current-env", f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
              "--nbval-kernel-startup-timeout=60", "--nbval-sanitize-with", "notebooks/sanitize.cfg"]


def strip_noise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes on every run and teaches nothing: per-cell execution timestamps."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    return notebook


def execute(path: Path) -> float:
    """Execute one notebook in place from a fresh kernel; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    started = time.perf_counter()
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(strip_noise(notebook), path)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    """Entry point: `execute PATH...` or `nbval-args`."""
    if argv == ["nbval-args"]:
        print(" ".join(NBVAL_ARGS))
        return 0
    if len(argv) < 2 or argv[0] != "execute":
        print(__doc__)
        return 2
    for name in argv[1:]:
        seconds = execute(Path(name))
        print(f"executed {name} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
