"""No notebook shows a warning: nbval does not compare stderr, so conftest.py fails a cell whose fresh run prints one,
and these tests check the stored outputs and that the fresh-run check fails a notebook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.config import PROJECT_ROOT
from tooling.notebooks import NBVAL_ARGS, warning_lines

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def stored_warnings(notebook: dict) -> list[str]:
    """Every stderr line of the stored outputs that names a warning, as 'cell N: line'."""
    return [f"cell {number}: {line}" for number, cell in enumerate(notebook["cells"])
            for line in warning_lines(cell.get("outputs", []))]


def test_the_check_finds_a_warning_on_stderr_only() -> None:
    text = "/x/kafka_io.py:72: DeprecationWarning: value_deserializer does not implement Deserializer\n"
    notebook = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stderr", "text": [text]},
                                                            {"output_type": "stream", "name": "stdout", "text": [text]}]},
                          {"cell_type": "markdown"}]}
    assert stored_warnings(notebook) == [f"cell 0: {text.strip()}"]


def test_progress_bars_and_log_lines_on_stderr_are_not_warnings() -> None:
    text = "replay events: 100%|██████████| 100/100 [00:02<00:00, 41.31it/s]\nWARNING:kafka.coordinator:rebalancing\n"
    assert warning_lines([{"output_type": "stream", "name": "stderr", "text": text}]) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_stderr_shows_a_warning(path: Path) -> None:
    found = stored_warnings(json.loads(path.read_text()))
    assert not found, f"fix each warning at its source, then `make execute NB={path.relative_to(PROJECT_ROOT)}`: {found}"


def nbval(tmp_path: Path, *cells: str) -> subprocess.CompletedProcess:
    """Strict nbval, with the project's conftest.py, over a notebook of these cells stored with no output."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    for number, cell in enumerate(notebook.cells, start=1):
        cell.execution_count = number
    nbformat.write(notebook, tmp_path / "warns.ipynb")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest",
                           "--rootdir", str(tmp_path), *NBVAL_ARGS, str(tmp_path / "warns.ipynb")],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300, check=False)


@pytest.mark.live
def test_a_warning_in_a_fresh_run_fails_the_nbval_run(tmp_path: Path) -> None:
    result = nbval(tmp_path, "import sys\nprint('10%|#   | 1/10', file=sys.stderr)",
                   "import warnings\nwarnings.warn('a deprecated call', FutureWarning)")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed" in result.stdout, result.stdout
    assert "FutureWarning: a deprecated call" in result.stdout, result.stdout
