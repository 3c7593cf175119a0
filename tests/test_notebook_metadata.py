"""Stored notebooks carry no per-run noise, so re-executing one changes only lines with real outputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers import config
from tooling import notebooks

NOTEBOOKS = sorted((config.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_stored_notebook_is_already_stripped(path: Path) -> None:
    assert not notebooks.strip(path, check=True), (
        f"{path.name} carries run metadata (execution timestamps or kernel details): "
        f"run `.venv/bin/python -m tooling.notebooks strip {path.relative_to(config.PROJECT_ROOT)}`")


def test_stripping_keeps_outputs_counts_ids_and_collapsed_solutions(tmp_path: Path) -> None:
    noisy = tmp_path / "noisy.ipynb"
    source = config.PROJECT_ROOT / "notebooks" / "00_start_here.ipynb"
    notebook = json.loads(source.read_text())
    code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code["metadata"]["execution"] = {"iopub.status.idle": "2026-12-01T21:50:00.000000Z"}
    notebook["metadata"]["language_info"]["version"] = "3.13.5"
    noisy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    assert notebooks.strip(noisy, check=False), "a timestamp in cell metadata must count as noise"
    assert noisy.read_text() == source.read_text(), "stripping must restore exactly the clean notebook"
    assert not notebooks.strip(noisy, check=True), "a stripped notebook has nothing left to strip"


def test_consecutive_prints_are_one_output_however_the_kernel_flushed_them() -> None:
    chunks = [nbformat.v4.new_output("stream", name="stdout", text=text) for text in ("⏳ Not attempted", "\n")]
    chunks.append(nbformat.v4.new_output("stream", name="stderr", text="progress\n"))
    chunks.append(nbformat.v4.new_output("stream", name="stdout", text="after\n"))
    joined = notebooks.coalesce_streams(chunks)
    assert [(o.name, o.text) for o in joined] == [("stdout", "⏳ Not attempted\n"), ("stderr", "progress\n"),
                                                  ("stdout", "after\n")]


def test_a_progress_line_is_stored_as_its_last_state_and_stdout_as_printed() -> None:
    ticks = [nbformat.v4.new_output("stream", name="stderr", text=text)
             for text in ("\rwhy: 0 s (at most 9 s)", "\rwhy: 1 s (at most 9 s)", "\rwhy: 2 s (at most 9 s)\n")]
    printed = nbformat.v4.new_output("stream", name="stdout", text="50%\r100%\n")
    joined = notebooks.coalesce_streams([*ticks, printed])
    assert [(o.name, o.text) for o in joined] == [("stderr", "why: 2 s (at most 9 s)\n"), ("stdout", "50%\r100%\n")]
    assert notebooks.overwritten("a\nb\rc\n") == "a\nc\n" and notebooks.overwritten("x\r\n") == "x\r\n"
