"""No stored notebook output shows a warning: nbval does not compare stderr, so a deprecation would hide there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.config import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WARNING = re.compile(r"\w*Warning\b")  # DeprecationWarning, FutureWarning, UserWarning, ... as Python prints them


def warning_lines(notebook: dict) -> list[str]:
    """Every stderr line of the stored outputs that names a warning, as 'cell N: line'."""
    return [f"cell {number}: {line}" for number, cell in enumerate(notebook["cells"])
            for output in cell.get("outputs", []) if output["output_type"] == "stream" and output["name"] == "stderr"
            for line in "".join(output["text"]).splitlines() if WARNING.search(line)]


def test_the_check_finds_a_warning_on_stderr_only() -> None:
    text = "/x/kafka_io.py:72: DeprecationWarning: value_deserializer does not implement Deserializer\n"
    notebook = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stderr", "text": [text]},
                                                            {"output_type": "stream", "name": "stdout", "text": [text]}]},
                          {"cell_type": "markdown"}]}
    assert warning_lines(notebook) == [f"cell 0: {text.strip()}"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_stderr_shows_a_warning(path: Path) -> None:
    found = warning_lines(json.loads(path.read_text()))
    assert not found, f"fix each warning at its source, then `make execute NB={path.relative_to(PROJECT_ROOT)}`: {found}"
