"""Regenerate notebooks' stored outputs free of per-run noise, and the flags strict nbval runs them with.

Usage:
    python -m tooling.notebooks execute notebooks/05_kafka_fundamentals.ipynb [...]   # run, strip, save in place
    python -m tooling.notebooks strip [--check] notebooks/*.ipynb                      # strip only (pre-commit)
    python -m tooling.notebooks nbval-args      # the Makefile, tests/rerun.py and tests/launch read them here
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbstripout import strip_output

CELL_TIMEOUT_S = 180
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
#: What changes on every run or machine and teaches nothing: the keys nbstripout's command line strips by default
#: (its API takes the whole list) — per-cell execution timestamps and UI state — plus the kernel's details that
#: differ between machines (Python's patch version, editor modes). Outputs, counts and cell ids stay.
NOISY_KEYS = [
    "metadata.signature", "metadata.widgets", "cell.metadata.collapsed", "cell.metadata.ExecuteTime",
    "cell.metadata.execution", "cell.metadata.heading_collapsed", "cell.metadata.hidden", "cell.metadata.scrolled",
    *(f"metadata.language_info.{key}" for key in
      ("version", "codemirror_mode", "pygments_lexer", "nbconvert_exporter", "mimetype", "file_extension")),
]
#: pytest's arguments for strict nbval: stored outputs compared, addresses and ids sanitised, every cell bounded.
#: Text that a later carriage return on the same line writes over (nbconvert's coalesce_streams drops it too).
OVERWRITTEN = re.compile(r"[^\n]*\r(?=[^\n])")
NBVAL_ARGS = ["--nbval", "--nbval-current-env", f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
              "--nbval-kernel-startup-timeout=120", "--nbval-sanitize-with", "notebooks/sanitize.cfg"]


#: A line in which Python names a warning (DeprecationWarning, FutureWarning, UserWarning, ...) as it prints one.
WARNING = re.compile(r"\w*Warning\b")


def warning_lines(outputs: list[dict[str, Any]]) -> list[str]:
    """Every stderr line of these cell outputs (stored or fresh) that names a Python warning."""
    return [line for output in outputs if output.get("output_type") == "stream" and output.get("name") == "stderr"
            for line in "".join(output["text"]).splitlines() if WARNING.search(line)]


def overwritten(text: str) -> str:
    """A stream's text as a terminal shows it: what a carriage return went back over is gone (progress lines)."""
    return OVERWRITTEN.sub("", text)


def coalesce_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Join consecutive stdout (or stderr) chunks into one output, and keep a progress line's last state only."""
    joined: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (output.output_type == "stream" and previous is not None and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text = "".join(previous.text) + "".join(output.text)
        else:
            joined.append(output)
    for output in joined:
        if output.output_type == "stream" and output.name == "stderr":  # progress lines; stdout is nbval's to compare
            output.text = overwritten("".join(output.text))
    return joined


def strip_noise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes on every run and teaches nothing; keep outputs (strict nbval compares them)."""
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    return strip_output(notebook, keep_output=True, keep_count=True, keep_id=True, extra_keys=NOISY_KEYS)


def client(notebook: nbformat.NotebookNode, path: Path, **hooks: Any) -> NotebookClient:
    """A client that runs `notebook` (read from `path`) in a fresh course kernel, in the notebook's folder."""
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNELSPEC["name"],
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


def strip(path: Path, check: bool) -> bool:
    """Strip one notebook in place (or only look, with check); True if it carried noise."""
    before = path.read_text()
    notebook = strip_noise(nbformat.reads(before, as_version=4))
    after = nbformat.writes(notebook) + "\n"
    if after != before and not check:
        path.write_text(after)
    return after != before


def main(argv: list[str]) -> int:
    """Entry point: `execute PATH...`, `strip [--check] PATH...` or `nbval-args`."""
    if argv == ["nbval-args"]:
        print(" ".join(NBVAL_ARGS))
        return 0
    if len(argv) < 2 or argv[0] not in ("execute", "strip"):
        print(__doc__)
        return 2
    if argv[0] == "execute":
        for name in argv[1:]:
            print(f"executed {name} in {execute(Path(name)):.1f} s")
        return 0
    check = "--check" in argv
    noisy = [name for name in argv[1:] if name != "--check" and strip(Path(name), check)]
    for name in noisy:
        print(f"{'carries run metadata' if check else 'stripped'}: {name}")
    return 1 if check and noisy else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
