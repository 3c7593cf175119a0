"""Regenerate notebooks' stored outputs: run each top to bottom in a fresh kernel, save in place.

Usage: python -m tooling.notebooks execute notebooks/05_kafka_fundamentals.ipynb [...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT_S = 180


def strip_noise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes on every run and teaches nothing: per-cell execution timestamps."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    return notebook


def client(notebook: nbformat.NotebookNode, path: Path, **hooks: Any) -> NotebookClient:
    """A client that runs `notebook` (read from `path`) in a fresh course kernel, in the notebook's folder."""
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        **hooks,
    )


def execute(path: Path) -> float:
    """Execute one notebook in place from a fresh kernel; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    client(notebook, path).execute()
    nbformat.write(strip_noise(notebook), path)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    """Entry point: `execute PATH...`."""
    if len(argv) < 2 or argv[0] != "execute":
        print(__doc__)
        return 2
    for name in argv[1:]:
        seconds = execute(Path(name))
        print(f"executed {name} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
