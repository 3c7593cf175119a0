"""A pytest plugin: each notebook cell's time in an nbval run, recorded for `python -m tooling.profile --from FILE`.

    pytest -p tooling.cell_times --cell-times .stack/cell-times.json --nbval ... notebooks/05_*.ipynb

tests/rerun.py loads it in the strict nbval runs CI makes anyway, so the profile (where a learner waits) needs no run
of its own. Each notebook's entry (its cells' index, first line, seconds, waiting-lesson reason, and the first
failure) replaces the one already in the file; other notebooks' entries are kept.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tooling import profile

RECORDED = pytest.StashKey[dict[str, dict[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--cell-times FILE: the JSON where this run records each notebook cell's time."""
    parser.addoption("--cell-times", type=Path, default=None, help="record each nbval cell's time in this JSON file")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Time an nbval cell's execution (and comparison) and record it under its notebook."""
    started = time.perf_counter()
    outcome = yield
    seconds = time.perf_counter() - started
    cell = getattr(item, "cell", None)
    if cell is None or item.config.getoption("--cell-times") is None:
        return
    notebook = item.parent.nb
    entry = item.config.stash.setdefault(RECORDED, {}).setdefault(Path(str(item.parent.fspath)).name,
                                                                  {"cells": [], "error": ""})
    index = next(number for number, candidate in enumerate(notebook.cells) if candidate is cell)
    entry["cells"].append({"index": index, "first_line": profile.first_line(cell.source), "seconds": seconds,
                           "waits_for": profile.waits_for(getattr(item, "test_outputs", None) or [])})
    if outcome.excinfo is not None and not entry["error"] and not isinstance(outcome.excinfo[1], pytest.skip.Exception):
        entry["error"] = f"cell {index}: {type(outcome.excinfo[1]).__name__}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Merge this run's notebooks into the JSON file."""
    path, recorded = session.config.getoption("--cell-times"), session.config.stash.get(RECORDED, {})
    if path is None or not recorded:
        return
    try:
        notebooks = json.loads(path.read_text())["notebooks"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        notebooks = {}
    notebooks.update(recorded)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"notebooks": dict(sorted(notebooks.items()))}, indent=1))
